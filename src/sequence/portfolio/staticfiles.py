"""Serves plotly.js from the plotly wheel (pinned on PyPI), as htmx comes from django-htmx's.

A staticfiles finder for the one file, at ``portfolio/vendor/plotly.min.js``: whitenoise
serves it and ``collectstatic`` collects it, with no copy in the repository and no CDN.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PREFIX = "portfolio/vendor"
NAME = "plotly.min.js"


def _dir() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data"


class PlotlyFinder(BaseFinder):
    def check(self, **kwargs):
        return [] if (_dir() / NAME).is_file() else [f"plotly's wheel has no {NAME}"]

    def find(self, path, find_all=False, **kwargs):
        if path != f"{PREFIX}/{NAME}":
            return [] if find_all else None
        found = str(_dir() / NAME)
        return [found] if find_all else found

    def list(self, ignore_patterns):
        storage = FileSystemStorage(location=str(_dir()))
        storage.prefix = PREFIX
        yield NAME, storage
