from django.urls import path

from sequence.accounts import views

app_name = "accounts"
urlpatterns = [
    path("signin/", views.signin, name="signin"),
    path("signin/code/", views.signin_code, name="signin_code"),
    path("signin/code/resend/", views.signin_code_resend, name="signin_code_resend"),
    path("signin/confirm/", views.reauth, name="reauth"),
    path("signout/", views.signout, name="signout"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/<uidb64>/<token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("account/", views.settings_page, name="settings"),
    path("account/authenticator/", views.totp_setup, name="totp_setup"),
    path("account/authenticator/off/", views.totp_disable, name="totp_disable"),
]
