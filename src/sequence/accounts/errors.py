"""Errors of the sign-in steps; their messages are safe to show."""

from __future__ import annotations


class SigninError(Exception):
    """A second-factor step failed; the message is safe to show."""


class ResendTooSoon(SigninError):
    def __init__(self, seconds: int) -> None:
        super().__init__(f"Please wait {seconds} seconds before asking for another code.")
        self.seconds = seconds
