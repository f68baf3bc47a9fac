"""The API submission form (guide steps 6-11). Secrets are never rendered back."""

from __future__ import annotations

from django import forms
from django.conf import settings

from sequence.accounts.selectors import normalize_email
from sequence.accounts.services import validate_anti_phishing_code
from sequence.catalog.selectors import MARKET_CHOICES
from sequence.exchanges.credentials import normalise_credentials
from sequence.onboarding.fields import FIELDS_BY_EXCHANGE, LABELS, SECRET_FIELDS
from sequence.onboarding.validation import credential_format_errors

FUNDED_WARNING = ("Only check the box if you have funded the dedicated sub-account to which you will "
                  "connect your bot, using the correct asset.")


class OfferingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        strategy = obj.strategy
        minimum = f"{strategy.min_balance.normalize():f}"
        label = f"{strategy.name} · {strategy.base_currency} base, minimum {minimum} {strategy.base_currency}"
        if strategy.invite_only:
            label += " (Invite Only)"
        return label


class SubmissionForm(forms.Form):
    registered_email = forms.EmailField(label="Registered email", max_length=254)
    kind = forms.ChoiceField(label="Type of submission", widget=forms.RadioSelect, choices=[
        ("new", "Adding strategy for the first time"), ("refresh", "Refreshing API")])
    bot = forms.ChoiceField(label="Which strategy's keys are you refreshing?", required=False)
    # a refresh keeps its bot's market and exchange (the page hides both): required for a new one, in clean()
    market = forms.ChoiceField(label="Market", widget=forms.RadioSelect, choices=MARKET_CHOICES, required=False)
    exchange = forms.ChoiceField(label="Exchange", required=False)
    offering = OfferingChoiceField(label="Strategy", queryset=None, required=False,
                                   empty_label="Choose a strategy")
    api_name = forms.CharField(label=LABELS["api_name"], required=False, max_length=100)
    passphrase = forms.CharField(label=LABELS["passphrase"], required=False, max_length=200, strip=False,
                                 widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    api_key = forms.CharField(label=LABELS["api_key"], required=False, max_length=200,
                              widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    api_secret = forms.CharField(label=LABELS["api_secret"], required=False, max_length=4000,
                                 widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    private_key = forms.CharField(label=LABELS["private_key"], required=False, max_length=4000,
                                  widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    anti_phishing_code = forms.CharField(label="Anti-phishing code", min_length=4, max_length=20,
                                         help_text="A word or code between 4 and 20 characters.")
    funded = forms.BooleanField(label="I have funded the dedicated sub-account, in the correct asset",
                                help_text=FUNDED_WARNING, required=True)
    agree = forms.BooleanField(label="I have read and agree to the terms and conditions and the risk disclosure",
                               required=True)
    form_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, user, offerings, bots, exchanges, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.bots = {str(b.pk): b for b in bots}
        self.fields["offering"].queryset = offerings
        self.fields["exchange"].choices = [("", "Choose an exchange")] + [(e.slug, e.name) for e in exchanges]
        self.fields["bot"].choices = [("", "Choose the strategy")] + [
            (str(b.pk), f"{b.offering} (key {b.credential.key_tail if b.credential else '—'})") for b in bots]
        self.fields["funded"].error_messages["required"] = "Please confirm the sub-account is funded."
        self.fields["agree"].error_messages["required"] = "You must agree to the terms and the risk disclosure."

    def clean_registered_email(self):
        email = normalize_email(self.cleaned_data["registered_email"])
        if email != normalize_email(self.user.email):
            raise forms.ValidationError(
                "This is not the email address registered to your account. Enter the email you sign in with "
                f"({self.user.email}); upper or lower case does not matter.")
        return email

    def clean_anti_phishing_code(self):
        return validate_anti_phishing_code(self.cleaned_data["anti_phishing_code"])

    def clean(self):
        data = super().clean()
        kind, exchange, market = data.get("kind"), data.get("exchange"), data.get("market")
        if kind == "refresh":
            bot = self.bots.get(data.get("bot") or "")
            if bot is None:
                self.add_error("bot", "Choose which strategy's keys you are refreshing.")
            else:
                data["bot_obj"] = bot
                # A refresh replaces the keys of that bot: same exchange, market and strategy.
                data["offering"] = bot.offering
                exchange = data["exchange"] = bot.offering.exchange_id
                market = data["market"] = bot.offering.market
        offering = data.get("offering")
        if kind == "new":
            if not market:
                self.add_error("market", "Choose Spot Trading or Derivatives.")
            if not exchange:
                self.add_error("exchange", "Choose an exchange.")
            if offering is None:
                self.add_error("offering", "Choose a strategy.")
            elif exchange and market and (offering.exchange_id, offering.market) != (exchange, market):
                self.add_error("offering", "That strategy is not available on this exchange and market. "
                                           "Choose one from the list.")
        if offering is not None and exchange in FIELDS_BY_EXCHANGE:
            self._clean_credentials(exchange)
        return data

    def _clean_credentials(self, exchange: str) -> None:
        wanted = FIELDS_BY_EXCHANGE[exchange]
        # one normalisation for the check and the store (a key pasted over two lines)
        values = normalise_credentials(exchange, {name: self.cleaned_data.get(name) for name in wanted})
        for name in wanted:
            if not values[name]:
                self.add_error(name, f"Enter the {LABELS[name]} exactly as your exchange shows it.")
        if all(values.values()):
            for name, message in credential_format_errors(exchange, values).items():
                self.add_error(name, message)
        self.cleaned_data["credential_values"] = {k: v for k, v in values.items() if k in SECRET_FIELDS}
        # fields of other exchanges are ignored, never stored
        for name in SECRET_FIELDS:
            if name not in wanted:
                self.cleaned_data[name] = ""

    @property
    def egress_ips(self) -> list[str]:
        return list(settings.EGRESS_IPS)
