from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


def home(request):
    if request.user.is_authenticated:
        return redirect("web:dashboard")
    return render(request, "web/home.html")


@login_required
def dashboard(request):
    from django.conf import settings

    from sequence.onboarding.selectors import bots_for_dashboard

    demo_keys = []
    if settings.DEMO and not request.user.is_operator:
        from sequence.ops.demo_exchange import load_demo_keys

        demo_keys = load_demo_keys()
    return render(request, "web/dashboard.html", {"user": request.user, "rows": bots_for_dashboard(request.user),
                                                  "demo_keys": demo_keys})


def legal(request, doc: str):
    from django.conf import settings

    version = settings.TERMS_VERSION if doc == "terms" else settings.RISK_DISCLOSURE_VERSION
    return render(request, f"web/legal_{doc}.html", {"version": version})
