from django.urls import include, path

urlpatterns = [
    path("", include("sequence.web.urls")),
    path("", include("sequence.accounts.urls")),
    path("", include("sequence.onboarding.urls")),
    path("ops/", include("sequence.ops.urls")),
    path("compliance/", include("sequence.compliance.urls")),
    path("portfolio/", include("sequence.portfolio.urls")),
]
