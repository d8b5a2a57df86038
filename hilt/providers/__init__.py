"""Provider extractors: turn one SDK's requests and responses into :class:`hilt._record.CallRecord` fields.

This package itself is provider-neutral and cheap to import: it holds the limits every extractor
applies, set by ``instrument()`` from the settings.
"""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_FIELD_CHARS", "max_field_chars", "set_max_field_chars"]

DEFAULT_MAX_FIELD_CHARS = 100_000
"""Default of the ``max_field_chars`` setting."""

max_field_chars: int = DEFAULT_MAX_FIELD_CHARS
"""The longest text kept per captured field (0: no limit); longer text is cut and its length recorded."""


def set_max_field_chars(limit: int) -> None:
    """Apply the ``max_field_chars`` setting to the calls that start from now on."""
    global max_field_chars
    max_field_chars = limit
