"""Placeholder: the register conversion (tú → usted) lands with helper F's work."""

from __future__ import annotations


def formal(text: str) -> str:
    """Placeholder: returns the text unchanged until the conversion table lands."""
    return text
