"""The names of the built-in redactors (no regular expression compiled here: the agent reads them at start-up)."""

from __future__ import annotations

__all__ = ["BUILTIN_NAMES"]

BUILTIN_NAMES = ("email", "phone", "card", "iban", "ip", "secrets")
"""Every built-in redactor (``hilt.privacy.BUILTIN_REDACTORS`` maps each to its marker)."""
