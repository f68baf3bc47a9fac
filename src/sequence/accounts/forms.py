from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation

from sequence.accounts.services import validate_anti_phishing_code


class SigninForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label="Password", max_length=4096, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class CodeForm(forms.Form):
    code = forms.CharField(label="Code", max_length=32, widget=forms.TextInput(
        attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}))


class AntiPhishingForm(forms.Form):
    anti_phishing_code = forms.CharField(label="Anti-phishing code", min_length=4, max_length=20,
                                         help_text="A word or code between 4 and 20 characters. "
                                                   "It appears at the top of every email we send you.")

    def clean_anti_phishing_code(self):
        return validate_anti_phishing_code(self.cleaned_data["anti_phishing_code"])


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254)


class NewPasswordForm(forms.Form):
    new_password1 = forms.CharField(label="New password", strip=False, max_length=4096,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label="New password again", strip=False, max_length=4096,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("new_password1"), data.get("new_password2")
        if p1 and p2 and p1 != p2:
            raise forms.ValidationError("The two passwords differ.")
        if p1:
            password_validation.validate_password(p1, self.user)
        return data
