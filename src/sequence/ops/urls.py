"""The console's URLs. Every view here is wrapped in ``access.staff_required`` (a test walks
these patterns: clients get 404, anonymous visitors go to sign-in)."""

from django.urls import path

from sequence.ops import audit, bots, catalogue, clients, help_admin, queue, views

app_name = "ops"
urlpatterns = [
    path("", views.home, name="home"),
    path("demo/mailbox/", views.demo_mailbox, name="demo_mailbox"),
    path("submissions/", queue.queue, name="queue"),
    path("submissions/<uuid:pk>/<str:action>/", queue.submission_action, name="submission_action"),
    path("bots/", bots.bot_list, name="bots"),
    path("bots/<uuid:pk>/", bots.bot_detail, name="bot"),
    path("bots/<uuid:pk>/<str:action>/", bots.bot_action, name="bot_action"),
    path("paper/", bots.paper_start, name="paper"),
    path("clients/", clients.client_list, name="clients"),
    path("clients/<int:pk>/", clients.client_detail, name="client"),
    path("clients/<int:pk>/<str:action>/", clients.client_action, name="client_action"),
    path("catalogue/", catalogue.strategy_list, name="strategies"),
    path("catalogue/new/", catalogue.strategy_edit, name="strategy_new"),
    path("catalogue/<slug:slug>/", catalogue.strategy_edit, name="strategy"),
    path("catalogue/<slug:slug>/rules/", catalogue.strategy_rules, name="strategy_rules"),
    path("catalogue/<slug:slug>/backtest/", catalogue.strategy_backtest, name="strategy_backtest"),
    path("catalogue/<slug:slug>/backtest/v<int:version>.html", catalogue.backtest_report, name="backtest_report"),
    path("audit/", audit.audit_log, name="audit"),
    path("audit/export.csv", audit.audit_csv, name="audit_csv"),
    path("help/", help_admin.page_list, name="help_pages"),
    path("help/new/", help_admin.page_edit, name="help_new"),
    path("help/<slug:slug>/", help_admin.page_edit, name="help_page"),
]
