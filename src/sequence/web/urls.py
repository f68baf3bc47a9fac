from django.urls import path

from sequence.web import help as help_pages
from sequence.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/bots/<uuid:pk>/live/", views.bot_live, name="bot_live"),
    path("help/", help_pages.help_index, name="help"),
    path("help/<slug:slug>/", help_pages.help_page, name="help_page"),
    path("legal/terms/", views.legal, {"doc": "terms"}, name="terms"),
    path("legal/risk/", views.legal, {"doc": "risk"}, name="risk"),
]
