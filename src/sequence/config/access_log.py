"""Access logs without password-reset tokens (issue 14 item 7).

The emailed link carries the token in its path; the first visit moves it into the session and
redirects to a URL without it (accounts.views.password_reset_confirm), but that first request
is still logged. Both access logs redact it: gunicorn's (`GunicornLogger`, passed with
`--logger-class`) and Django's development server's (`ResetTokenFilter`, in LOGGING).

No Django import here: gunicorn loads the logger class before the application.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

RESET_PREFIX = "/password/reset/"  # accounts/urls.py: password/reset/<uidb64>/<token>/
SET_PASSWORD = "set-password"  # noqa: S105 - the token's place once it is in the session (as in Django)
REDACTED = "[redacted]"
GUNICORN_LOGGER = "sequence.config.access_log.GunicornLogger"

# <uidb64>/<token>, anywhere in a line (request line, path, referer); not once it is "set-password".
_RESET_PATH = re.compile(rf"({re.escape(RESET_PREFIX)}[^/\s?#]+/)(?!{SET_PASSWORD}(?:[/?#\s]|$))[^/\s?#\"]+")


def redact_reset_tokens(text: str) -> str:
    return _RESET_PATH.sub(rf"\g<1>{REDACTED}", text)


class GunicornLogger(Logger):
    """gunicorn's logger, with every text that goes into an access line redacted."""

    def atoms(self, resp, req, environ, request_time):
        return {key: redact_reset_tokens(value) if isinstance(value, str) else value
                for key, value in super().atoms(resp, req, environ, request_time).items()}


class ResetTokenFilter(logging.Filter):
    """For `django.server` (runserver) and any other line that quotes a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_reset_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
