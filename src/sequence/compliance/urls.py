from django.urls import path

from sequence.compliance import views

app_name = "compliance"
urlpatterns = [
    path("notices/new/", views.notice_new, name="notice_new"),
    path("notices/<int:pk>/withdrawn/", views.notice_withdrawn, name="notice_withdrawn"),
    path("ops/", views.ops_overview, name="ops"),
    path("ops/alerts/<int:pk>/", views.ops_alert, name="ops_alert"),
]
