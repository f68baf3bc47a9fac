from django.urls import path

from sequence.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("submit/", views.submission_placeholder, name="submit"),
]
