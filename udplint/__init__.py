"""udplint: find UDP servers whose replies leave from the wrong source address."""

__version__ = "0.1.0"
