from django.urls import path

from sequence.ops import views

app_name = "ops"
urlpatterns = [
    path("demo/mailbox/", views.demo_mailbox, name="demo_mailbox"),
]
