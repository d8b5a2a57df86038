"""The settings model: every HILT setting, its default, and the immutable :class:`Settings` object.

What each value accepts is checked in ``hilt/_config_values.py``; how the layers (files, environment,
arguments) are merged is in ``hilt/_config.py``. Imported at interpreter start-up by the agent: ``os`` only.
"""

from __future__ import annotations

import os

from ._user_dirs import default_log_file

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any

__all__ = [
    "BOOL_FIELDS",
    "CAPTURE_MODES",
    "DEFAULTS",
    "FIELDS",
    "SECONDS_FIELDS",
    "SECRET_FIELDS",
    "Settings",
    "env_name",
]

DEFAULTS: dict[str, Any] = {
    "backend": ("local",),
    "filepath": None,
    "capture_content": "full",
    "max_field_chars": 100_000,  # hilt.providers.DEFAULT_MAX_FIELD_CHARS (not imported: start-up cost)
    "sheet_id": None,
    "credentials_path": None,
    "credentials_json": None,
    "worksheet_name": "Logs",
    "columns": None,
    "sheets_endpoint": "https://sheets.googleapis.com",
    "flush_interval": 5.0,
    "journal_path": None,
    "shutdown_timeout": 5.0,
    "dashboard": False,
    "prices": None,  # an empty dict, made fresh per Settings
    "propagate": True,
    "strict": False,
    "debug": False,
    "stream_usage": False,
    "rotate": None,
    "compress": False,
    "retention_days": None,
    "sample_rate": 1.0,
    "metadata": None,  # an empty dict, made fresh per Settings
    "integrity": False,  # the audit trail: a keyed hash chain through the JSONL log (hilt/_integrity.py)
    "redact": (),
}
"""Each setting's value when nothing sets it (its order is the order of :data:`FIELDS`)."""
BOOL_FIELDS = frozenset({"propagate", "strict", "debug", "stream_usage", "compress", "dashboard", "integrity"})
"""Settings that are booleans (``hilt-agent`` gives them ``--x``/``--no-x`` flags)."""
SECONDS_FIELDS = frozenset({"flush_interval", "shutdown_timeout"})
"""Settings that are a number of seconds."""

_FRESH_DICTS = frozenset({"prices", "metadata"})
CAPTURE_MODES = ("full", "metadata", "hash")
"""The values of ``capture_content``, from most to least recorded text (``true``/``false``: full/metadata)."""

FIELDS: tuple[str, ...] = tuple(DEFAULTS)
"""Every setting; the environment name is ``HILT_`` + the name in upper case, the TOML key is the name."""

SECRET_FIELDS = frozenset({"credentials_json"})
"""Settings that may come from the environment or arguments only, never from a config file."""


class Settings:
    """Effective HILT settings (immutable). Build them with ``hilt._config.load_settings`` or ``resolve_settings``."""

    __slots__ = (*FIELDS, "sources")

    backend: tuple[str, ...]
    """The backends events go to, in order, e.g. ``("local", "otlp")``."""
    filepath: str | None
    capture_content: str
    """``"full"``, ``"metadata"`` (no prompt or answer text) or ``"hash"`` (each text replaced by a keyed hash)."""
    max_field_chars: int
    sheet_id: str | None
    credentials_path: str | None
    credentials_json: str | None
    worksheet_name: str
    columns: tuple[str, ...] | None
    sheets_endpoint: str
    flush_interval: float
    journal_path: str | None
    shutdown_timeout: float
    dashboard: bool
    """Sheets backend: add the ``Dashboard`` worksheet (``hilt sheets dashboard``) once, in the background."""
    prices: Mapping[str, Mapping[str, float]]
    propagate: bool
    strict: bool
    debug: bool
    stream_usage: bool
    rotate: str | int | None
    """When the JSONL log is rotated: ``"daily"`` or a size such as ``"100 MB"`` (see :func:`rotate_limit`)."""
    compress: bool
    retention_days: int | None
    sample_rate: float
    """The share of conversations kept, 0 to 1 (failed calls are always kept)."""
    metadata: Mapping[str, str | int | float | bool]
    """Compliance labels written to ``extensions.metadata`` on every event."""
    integrity: bool
    """Chain every line of the JSONL log with an HMAC so ``hilt logs verify`` detects edits (not settable
    by an untrusted project file: it adds state files and makes writers wait for the file lock)."""
    redact: tuple[Any, ...]
    """Redactors run over every recorded text: built-in names, ``"module:function"`` paths, functions."""
    sources: Mapping[str, str]
    """Where each value came from: ``"default"``, a TOML file path, ``"env HILT_X"``, ``"argument"`` or ``"flag"``."""

    def __init__(self, **values: Any) -> None:
        unknown = set(values).difference(FIELDS, ("sources",))
        if unknown:
            raise TypeError(f"Settings() got unknown settings: {', '.join(sorted(unknown))}")
        for key in FIELDS:
            value = values.get(key, DEFAULTS[key])
            object.__setattr__(self, key, {} if key in _FRESH_DICTS and value is None else value)
        object.__setattr__(self, "sources", dict(values.get("sources") or dict.fromkeys(FIELDS, "default")))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Settings are immutable; use settings.replace({name}=...)")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Settings):
            return NotImplemented
        return all(getattr(self, key) == getattr(other, key) for key in FIELDS)

    __hash__ = None  # type: ignore[assignment]  # ``prices`` is a dict

    def __repr__(self) -> str:
        values = ", ".join(f"{key}={'***' if key in SECRET_FIELDS and getattr(self, key) else repr(getattr(self, key))}" for key in FIELDS)
        return f"Settings({values})"

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (their source becomes ``"argument"`` unless ``sources`` is given)."""
        values = {key: getattr(self, key) for key in FIELDS}
        values["sources"] = {**self.sources, **dict.fromkeys(changes, "argument")}
        values.update(changes)
        return Settings(**values)

    @property
    def log_file(self) -> str:
        """:attr:`log_path` as a string (no ``pathlib`` import: the agent checks it at start-up)."""
        return os.path.expanduser(self.filepath) if self.filepath else default_log_file()

    @property
    def log_path(self) -> Path:
        """The JSONL file events (or, with Sheets, the journal) are written to."""
        from pathlib import Path

        return Path(self.log_file)


def env_name(key: str) -> str:
    """``filepath`` → ``HILT_FILEPATH``."""
    return "HILT_" + key.upper()
