from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


def home(request):
    if request.user.is_authenticated:
        return redirect("web:dashboard")
    return render(request, "web/home.html")


@login_required
def dashboard(request):
    return render(request, "web/dashboard.html", {"user": request.user})


@login_required
def submission_placeholder(request):
    """Where "Add Strategy" and "Refresh API" lead until the key submission page lands."""
    kind = "refresh" if request.GET.get("type") == "refresh" else "new"
    return render(request, "web/submission_soon.html", {"kind": kind})
