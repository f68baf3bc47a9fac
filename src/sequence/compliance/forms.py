"""The client's withdrawal notice and the operator's note on an alert.

Amounts are Decimal from the first parse (``forms.DecimalField``); every refusal is a
sentence next to its field, never an exception.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone

MAX_DAYS_AHEAD = 14
AMOUNT = {"max_digits": 28, "decimal_places": 10}


class NoticeForm(forms.Form):
    bot = forms.ChoiceField(label="Strategy", error_messages={
        "required": "Choose the strategy whose account you will withdraw from.",
        "invalid_choice": "Choose one of your strategies that is trading."})
    # a text box (decimal keypad on phones): the server's sentences, not the browser's number rules
    amount = forms.DecimalField(**AMOUNT, label="Amount", min_value=Decimal("0.0000000001"),
                                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                                help_text="In the strategy's base currency, its unit of account.", error_messages={
        "required": "Enter the amount you plan to withdraw.",
        "invalid": "Enter the amount as a number, e.g. 250 or 0.015.",
        "min_value": "Enter an amount above zero.",
        "max_digits": "That amount has too many digits.",
        "max_decimal_places": "Use at most 10 decimal places.",
        "max_whole_digits": "That amount is too large."})
    planned_for = forms.DateField(label="Planned date", widget=forms.DateInput(attrs={"type": "date"}), error_messages={
        "required": "Enter the day you plan to withdraw.",
        "invalid": "Enter the date as YYYY-MM-DD."})

    def __init__(self, *args, bots: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.bots = {str(b.pk): b for b in bots}
        self.fields["bot"].choices = [(str(b.pk), f"{b.offering.strategy.name} on {b.offering.exchange.name} "
                                                  f"({b.offering.strategy.base_currency})") for b in bots]
        if "planned_for" not in self.initial:
            self.initial["planned_for"] = timezone.localdate()

    def clean_planned_for(self):
        day = self.cleaned_data["planned_for"]
        today = timezone.localdate()
        if day < today:
            raise forms.ValidationError("The planned date is in the past: choose today or a later day.")
        if day > today + timedelta(days=MAX_DAYS_AHEAD):
            raise forms.ValidationError(f"Give notice at most {MAX_DAYS_AHEAD} days ahead.")
        return day

    def chosen_bot(self):
        return self.bots.get(self.cleaned_data.get("bot", ""))


class AlertNoteForm(forms.Form):
    action = forms.ChoiceField(choices=[("acknowledge", "Acknowledge"), ("resolve", "Resolve")],
                               error_messages={"required": "Choose acknowledge or resolve.",
                                               "invalid_choice": "Choose acknowledge or resolve."})
    note = forms.CharField(max_length=2000, strip=True, widget=forms.Textarea(attrs={"rows": 2}), error_messages={
        "required": "Write a note: what was checked and what was decided.",
        "max_length": "Keep the note under 2000 characters."})
