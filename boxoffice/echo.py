"""Echoing client input back in messages: clipped, so a 100,000-character value is not
returned whole (amplification, log flooding, reflected junk)."""

from __future__ import annotations

MAX_ECHO = 24


def clip(text: str, limit: int = MAX_ECHO) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
