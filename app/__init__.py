"""Noskhe's core: domain, use cases, encrypted store, reference data, audit log. Never imports Qt."""

__version__ = "0.1.0"
