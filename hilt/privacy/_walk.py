"""The privacy step over one rendered event: redaction, and the keyed hash of the ``hash`` capture mode.

Only the parts that carry text are walked: ``content``, ``extensions.params`` and
``extensions.error_message`` (a ``system`` event's ``content.text`` is its error message). Ids,
timestamps, roles, types, the model, tokens and status are never touched. The event is not changed in
place (its parts may be shared with other events or the application): what changes is copied.

In ``hash`` mode, every text is replaced by its keyed hash, except error messages, the parameters that
carry only settings (they stay as in ``capture_content = false``) and names (a tool's name), which are
only redacted. A field a redactor or the hash fails on is written as ``[REDACTION_FAILED]``, never as
it was; the failure is reported once on the ``hilt`` logger.
"""

from __future__ import annotations

from typing import Any

from .._safety import report
from ._hashing import TextHasher
from ._redactor import RedactionError, Redactor

__all__ = ["REDACTION_FAILED", "EventProtector"]

REDACTION_FAILED = "[REDACTION_FAILED]"
"""What a field becomes when a custom redactor or the hash failed on it (fail closed)."""

FAILED_COUNT = "redaction_failed"
"""The key of ``extensions.redactions`` counting fields written as :data:`REDACTION_FAILED`."""

_STRUCTURAL_KEYS = frozenset({"role", "type", "id", "call_id", "tool_call_id", "index", "finish_reason", "status", "detail", "model"})
_NAME_KEYS = frozenset({"name"})  # a tool or function name: redacted, but readable in hash mode
_PARAMS_SKIPPED = _STRUCTURAL_KEYS | {"content_omitted"}
_SCALARS = frozenset({int, float, bool, type(None)})


def _settings_params() -> frozenset[str]:
    from ..providers.openai._params import SETTINGS_PARAMS

    return SETTINGS_PARAMS


class _Walk:
    """The state of one event's walk: what fired, and each distinct text's result (a prompt's last
    message is also its ``content.text``: it is redacted, hashed and counted once)."""

    __slots__ = ("redactor", "hasher", "counts", "done")

    def __init__(self, redactor: Redactor | None, hasher: TextHasher | None) -> None:
        self.redactor, self.hasher = redactor, hasher
        self.counts: dict[str, int] = {}
        self.done: dict[tuple[str, bool], str] = {}

    def text(self, text: str, hash_it: bool) -> str:
        if not text:
            return text
        hash_it = hash_it and self.hasher is not None
        known = self.done.get((text, hash_it))
        if known is not None:
            return known
        result = text
        if self.redactor is not None:
            try:
                result = self.redactor.redact(result, self.counts)
            except RedactionError as exc:  # the application's function; a fault of a built-in is HILT's bug (see Pipeline)
                report(f"redactor:{exc.label}", "HILT's redactor %s failed (%s); the field was written as %s, the call is unaffected",
                       exc.label, exc, REDACTION_FAILED)  # fmt: skip
                result = self._failed()
        if hash_it and result != REDACTION_FAILED:
            try:
                result = self.hasher(result)  # type: ignore[misc]
            except Exception as exc:
                report(f"hash:{type(exc).__name__}", "HILT could not hash a field for capture mode hash (%s: %s); the field was "
                       "written as %s, the call is unaffected", type(exc).__name__, exc, REDACTION_FAILED)  # fmt: skip
                result = self._failed()
        self.done[(text, hash_it)] = result
        return result

    def _failed(self) -> str:
        self.counts[FAILED_COUNT] = self.counts.get(FAILED_COUNT, 0) + 1
        return REDACTION_FAILED

    def value(self, item: Any, hash_it: bool) -> Any:
        """``item`` with every string leaf transformed (dict keys and structural values kept); copied only where changed."""
        if type(item) is str:
            return self.text(item, hash_it)
        if isinstance(item, dict):
            return self.mapping(item, hash_it, _STRUCTURAL_KEYS, _NAME_KEYS)
        if isinstance(item, (list, tuple)):
            changed: list[Any] | None = None
            for index, old in enumerate(item):
                new = self.text(old, hash_it) if type(old) is str else old if type(old) in _SCALARS else self.value(old, hash_it)
                if new is not old:
                    if changed is None:
                        changed = list(item)
                    changed[index] = new
            return item if changed is None else changed
        return item

    def mapping(self, item: dict[Any, Any], hash_it: bool, skipped: frozenset[str], readable: frozenset[str]) -> dict[Any, Any]:
        """``item`` with the values under ``skipped`` keys kept as they are and those under ``readable``
        keys redacted but not hashed; numbers, booleans and ``None`` are passed over without a call."""
        changed: dict[Any, Any] | None = None
        for key, old in item.items():
            if key in skipped or type(old) in _SCALARS:
                continue
            hash_this = hash_it and key not in readable
            new = self.text(old, hash_this) if type(old) is str else self.value(old, hash_this)
            if new is not old:
                if changed is None:
                    changed = dict(item)
                changed[key] = new
        return item if changed is None else changed

    def params(self, params: dict[str, Any], hash_mode: bool) -> dict[str, Any]:
        return self.mapping(params, hash_mode, _PARAMS_SKIPPED, _settings_params() if hash_mode else _NAME_KEYS)


class EventProtector:
    """Applies a :class:`Redactor` (or none) and, for calls in ``hash`` mode, the keyed hash to events."""

    __slots__ = ("redactor", "hasher")

    def __init__(self, redactor: Redactor | None, hasher: TextHasher | None = None) -> None:
        self.redactor = redactor
        self.hasher = hasher if hasher is not None else TextHasher()

    def protect(self, event: dict[str, Any], hash_mode: bool = False) -> dict[str, Any]:
        """The event as it may be written: a new dict where something changed, else ``event`` itself.

        ``extensions.redactions`` counts, per redactor, what fired (``{"email": 2}``), never the values.
        """
        if self.redactor is None and not hash_mode:
            return event
        walk = _Walk(self.redactor, self.hasher if hash_mode else None)
        content, extensions = event.get("content"), event.get("extensions")
        new_content = content
        if isinstance(content, dict):
            new_content = walk.value(content, hash_mode and event.get("action") != "system")
        new_extensions = extensions
        if isinstance(extensions, dict):
            params, message = extensions.get("params"), extensions.get("error_message")
            updates: dict[str, Any] = {}
            if isinstance(params, dict) and params:
                new_params = walk.params(params, hash_mode)
                if new_params is not params:
                    updates["params"] = new_params
            if type(message) is str and message:
                new_message = walk.text(message, False)
                if new_message is not message:
                    updates["error_message"] = new_message
            if walk.counts:
                updates["redactions"] = walk.counts
            if updates:
                new_extensions = {**extensions, **updates}
        if new_content is content and new_extensions is extensions:
            return event
        protected = dict(event)
        if new_content is not content:
            protected["content"] = new_content
        if new_extensions is not extensions:
            protected["extensions"] = new_extensions
        return protected
