"""Privacy: redaction of what HILT records, and the keyed hash of the ``hash`` capture mode.

    from hilt.privacy import redact_text
    redact_text("write to ada@example.com")   # 'write to [EMAIL]'

The pipeline runs one :class:`EventProtector` over every rendered event, before any writer sees it
(see ``docs/privacy.md``). Names are imported on first use: the agent's start-up path reads only the
built-in names (``hilt.privacy._names``), never compiles a pattern.
"""

from __future__ import annotations

from ._names import BUILTIN_NAMES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ._redactor import RedactionError, Redactor, RedactorSpec
    from ._walk import REDACTION_FAILED, EventProtector

__all__ = [
    "BUILTIN_NAMES",
    "BUILTIN_REDACTORS",
    "REDACTION_FAILED",
    "EventProtector",
    "RedactionError",
    "Redactor",
    "RedactorSpec",
    "hash_text",
    "redact_text",
]

_LAZY = {
    "EventProtector": "._walk",
    "REDACTION_FAILED": "._walk",
    "RedactionError": "._redactor",
    "Redactor": "._redactor",
    "RedactorSpec": "._redactor",
}


def __getattr__(name: str) -> Any:
    if name == "BUILTIN_REDACTORS":
        from ._patterns import BUILTINS

        value: Any = {builtin.name: builtin.marker for builtin in BUILTINS.values()}
    elif name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    else:
        raise AttributeError(f"module 'hilt.privacy' has no attribute {name!r}")
    globals()[name] = value
    return value


_redactors: dict[tuple[Any, ...], Any] = {}
_hasher: Any = None


def hash_text(text: str) -> str:
    """The keyed hash the ``hash`` capture mode writes for ``text`` (``"hmac-sha256:<32 hex digits>"``), with
    this user's key: hash a known text to find the events that hold it."""
    global _hasher
    if _hasher is None:
        from ._hashing import TextHasher

        _hasher = TextHasher()
    return _hasher(text)  # type: ignore[no-any-return]


def redact_text(text: str, redactors: tuple[RedactorSpec, ...] | list[RedactorSpec] = BUILTIN_NAMES) -> str:
    """``text`` with what the redactors find replaced by typed markers (``[EMAIL]``, ``[CARD]``...).

    ``redactors``: built-in names (default: all of them, :data:`BUILTIN_REDACTORS` maps each to its
    marker), ``"module:function"`` paths or ``str -> str`` functions.
    """
    key = tuple(redactors)
    redactor = _redactors.get(key)
    if redactor is None:
        from ._redactor import Redactor

        redactor = _redactors[key] = Redactor(key)
    return redactor.redact(text, {})  # type: ignore[no-any-return]
