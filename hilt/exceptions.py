"""Errors HILT raises to its own callers (never to an instrumented application).

The tree::

    HILTError
    ├── ConfigError        a bad setting: names the source (file or variable), the key and what is expected
    ├── LogReadError       a bad line in a HILT log: names the file and the line number
    └── WriterError        a backend cannot be set up (for example a Sheets credentials problem)

HILT never wraps or translates the exceptions of the ``openai`` SDK: an application sees them exactly as
it would without HILT.
"""

from __future__ import annotations

__all__ = ["ConfigError", "HILTError", "LogReadError", "WriterError"]


class HILTError(Exception):
    """Base class of every error HILT raises."""


class ConfigError(HILTError, ValueError):
    """A configuration value is invalid.

    Attributes:
        source: where the value came from: a file path, an environment variable or ``instrument()``.
        key: the setting's name.
        expected: what would have been accepted.
    """

    def __init__(self, source: str, key: str, expected: str, got: object = None) -> None:
        self.source, self.key, self.expected, self.got = source, key, expected, got
        detail = f"{source}: {key}: expected {expected}"
        if got is not None:
            detail += f", got {got!r}"
        super().__init__(detail)


class LogReadError(HILTError, ValueError):
    """A line of a HILT log file cannot be read as an event."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        super().__init__(f"{path}:{line}: {reason}")


class WriterError(HILTError):
    """A backend cannot be set up or used."""
