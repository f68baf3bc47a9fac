from django.urls import path

from sequence.ops import bots, views

app_name = "ops"
urlpatterns = [
    path("demo/mailbox/", views.demo_mailbox, name="demo_mailbox"),
    path("bots/", bots.bot_list, name="bots"),
    path("bots/<uuid:pk>/", bots.bot_detail, name="bot"),
    path("bots/<uuid:pk>/<str:action>/", bots.bot_action, name="bot_action"),
    path("paper/", bots.paper_start, name="paper"),
]
