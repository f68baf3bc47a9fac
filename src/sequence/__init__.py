"""Sequence: a self-hostable platform for a managed crypto algo-trading service."""

__version__ = "0.1.0"
