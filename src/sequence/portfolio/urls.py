from django.urls import path

from sequence.portfolio import views

app_name = "portfolio"
urlpatterns = [
    path("bots/<uuid:pk>/", views.results, name="results"),
    path("bots/<uuid:pk>/equity.json", views.equity_json, name="equity_json"),
    path("bots/<uuid:pk>/cycles.csv", views.cycles_download, name="cycles_csv"),
    path("bots/<uuid:pk>/fills.csv", views.fills_download, name="fills_csv"),
]
