"""HILT's one configuration model, shared by ``instrument()``, ``HILT_ENABLED=1`` and ``hilt-agent``.

Precedence, highest first: explicit ``instrument()`` arguments, ``HILT_*`` environment variables, the
TOML file, then defaults. Every resolved value remembers where it came from (``Settings.sources``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .exceptions import ConfigError

__all__ = ["FIELDS", "Settings", "default_log_path", "load_settings", "parse_bool", "resolve_settings"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
BACKENDS = ("local", "sheets")
_BACKEND_ALIASES = {"jsonl": "local", "file": "local"}


def default_log_path() -> Path:
    """Where events go when nothing is configured: the per-user log folder (see docs/configuration.md)."""
    import platformdirs

    return platformdirs.user_log_path("hilt", appauthor=False) / "hilt.jsonl"


def parse_bool(value: Any, source: str, key: str) -> bool:
    """Accept ``1/true/yes/on`` and ``0/false/no/off`` (any case) or a real bool; anything else is an error."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise ConfigError(source, key, "a boolean: 1/true/yes/on or 0/false/no/off", value)


@dataclass(frozen=True)
class Settings:
    """Effective HILT settings. Build them with :func:`resolve_settings`."""

    backend: str = "local"
    filepath: str | None = None
    capture_content: bool = True
    sheet_id: str | None = None
    credentials_path: str | None = None
    credentials_json: str | None = None
    worksheet_name: str = "Logs"
    columns: tuple[str, ...] | None = None
    sheets_endpoint: str = "https://sheets.googleapis.com"
    flush_interval: float = 5.0
    journal_path: str | None = None
    shutdown_timeout: float = 5.0
    prices: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    propagate: bool = True
    strict: bool = False
    debug: bool = False
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def log_path(self) -> Path:
        """The JSONL file events (or, with Sheets, the journal) are written to."""
        return Path(self.filepath).expanduser() if self.filepath else default_log_path()


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Settings) if f.name != "sources")
"""Every setting; the environment name is ``HILT_`` + the name in upper case, the TOML key is the name."""

SECRET_FIELDS = frozenset({"credentials_json"})
"""Settings that may come from the environment or arguments only, never from a config file."""


def env_name(key: str) -> str:
    """``filepath`` → ``HILT_FILEPATH``."""
    return "HILT_" + key.upper()


def coerce(key: str, value: Any, source: str) -> Any:
    """Convert ``value`` (a string from the environment, or a TOML/Python value) to the type of ``key``."""
    default = Settings.__dataclass_fields__[key].default
    if key in ("capture_content", "propagate", "strict", "debug"):
        return parse_bool(value, source, key)
    if key in ("flush_interval", "shutdown_timeout"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(source, key, "a number of seconds", value) from None
        if isinstance(value, bool) or number < 0:
            raise ConfigError(source, key, "a non-negative number of seconds", value)
        return number
    if key == "backend":
        name = _BACKEND_ALIASES.get(str(value).strip().lower(), str(value).strip().lower())
        if not isinstance(value, str) or name not in BACKENDS:
            raise ConfigError(source, key, "one of " + ", ".join(BACKENDS), value)
        return name
    if key == "columns":
        if isinstance(value, str):
            value = [c.strip() for c in value.split(",") if c.strip()]
        if not isinstance(value, (list, tuple)) or not all(isinstance(c, str) for c in value):
            raise ConfigError(source, key, "a list of column names", value)
        return tuple(value)
    if key == "prices":
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ConfigError(source, key, 'a JSON object like {"model": {"input": 1.0, "output": 2.0}}', value) from None
        if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
            raise ConfigError(source, key, "a table of model → {input, output, cached_input} in USD per million tokens", value)
        return {str(k): dict(v) for k, v in value.items()}
    if isinstance(default, str) or default is None:
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str):
            raise ConfigError(source, key, "a string", value)
        return value
    return value


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, tuple[Any, str]]:
    """Values set by ``HILT_*`` variables, as ``{key: (value, source)}``; empty variables count as unset."""
    environ = os.environ if environ is None else environ
    found: dict[str, tuple[Any, str]] = {}
    for key in FIELDS:
        name = env_name(key)
        raw = environ.get(name)
        if raw is None or raw.strip() == "":
            continue
        found[key] = (coerce(key, raw, f"environment variable {name}"), f"env {name}")
    return found


def resolve_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    file_values: Mapping[str, tuple[Any, str]] | None = None,
) -> Settings:
    """Merge defaults < file values < environment < ``overrides`` (``None`` overrides are ignored)."""
    layers: dict[str, tuple[Any, str]] = {}
    layers.update(file_values or {})
    layers.update(settings_from_env(environ))
    for key, value in (overrides or {}).items():
        if key not in FIELDS:
            raise ConfigError("instrument()", key, "one of " + ", ".join(FIELDS))
        if value is not None:
            layers[key] = (coerce(key, value, "instrument()"), "argument")
    values = {key: value for key, (value, _) in layers.items()}
    sources = {key: layers[key][1] if key in layers else "default" for key in FIELDS}
    return replace(Settings(), **values, sources=sources)


def load_settings(overrides: Mapping[str, Any] | None = None, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve settings from ``overrides``, the environment and the discovered TOML file."""
    return resolve_settings(overrides, environ=environ)
