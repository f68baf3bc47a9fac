from django.urls import path

from sequence.onboarding import views

app_name = "onboarding"
urlpatterns = [
    path("submit/", views.submit, name="submit"),
    path("submissions/<uuid:pk>/", views.submitted, name="submitted"),
    path("submissions/<uuid:pk>/check-again/", views.recheck, name="recheck"),
]
