"""OKX v5 (placeholder, filled in next)."""


def register(app) -> None:
    pass
