"""HILT's one configuration model, shared by ``instrument()``, ``HILT_ENABLED=1`` and ``hilt-agent``.

Precedence, lowest first: defaults < the user's config file < the project's config file (only the keys
an untrusted file may set, see ``hilt/_trust.py``) < the ``$HILT_CONFIG`` file < ``HILT_*`` environment
variables < ``instrument()`` arguments (or ``hilt-agent --info`` flags). Files merge per key. Every
resolved value remembers where it came from (``Settings.sources``).

The agent imports this module at interpreter start-up, so it imports nothing beyond ``os`` and ``sys``
at module level (no ``typing``, ``dataclasses``, ``pathlib``, ``tomllib`` or ``platformdirs``): see
``docs/agent.md``.
"""

from __future__ import annotations

import os
import sys

from .exceptions import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any

__all__ = [
    "BOOL_FIELDS",
    "FIELDS",
    "SECRET_FIELDS",
    "Settings",
    "default_log_file",
    "default_log_path",
    "env_name",
    "load_settings",
    "parse_bool",
    "resolve_settings",
]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
BACKENDS = ("local", "sheets", "otlp")
_BACKEND_ALIASES = {"jsonl": "local", "file": "local"}

_DEFAULTS: dict[str, Any] = {
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
BOOL_FIELDS = frozenset({"propagate", "strict", "debug", "stream_usage", "compress", "dashboard", "integrity"})
"""Settings that are booleans (``hilt-agent`` gives them ``--x``/``--no-x`` flags)."""
_SECONDS = frozenset({"flush_interval", "shutdown_timeout"})

_FRESH_DICTS = frozenset({"prices", "metadata"})
CAPTURE_MODES = ("full", "metadata", "hash")
"""The values of ``capture_content``, from most to least recorded text (``true``/``false``: full/metadata)."""

FIELDS: tuple[str, ...] = tuple(_DEFAULTS)
"""Every setting; the environment name is ``HILT_`` + the name in upper case, the TOML key is the name."""

SECRET_FIELDS = frozenset({"credentials_json"})
"""Settings that may come from the environment or arguments only, never from a config file."""


class Settings:
    """Effective HILT settings (immutable). Build them with :func:`load_settings` or :func:`resolve_settings`."""

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
            value = values.get(key, _DEFAULTS[key])
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


def _user_dir(kind: str) -> str:
    """platformdirs' ``user_<kind>_dir("hilt")`` for kind ``config``, ``log`` or ``state``.

    On Linux it is computed from the XDG variables directly, because importing platformdirs costs
    ~20 ms (pathlib, tempfile, ...) and the agent needs these paths at interpreter start-up; a test
    checks the two agree.
    """
    home = os.environ.get("HOME", "")
    if sys.platform.startswith("linux") and home.startswith("/"):
        var, fallback, suffix = _XDG_DIRS[kind]
        base = os.environ.get(var, "")
        if not base.startswith("/"):
            base = os.path.expanduser(fallback)
        return os.path.join(base, suffix)
    import platformdirs

    return getattr(platformdirs, f"user_{kind}_dir")("hilt", appauthor=False)


_XDG_DIRS = {
    "config": ("XDG_CONFIG_HOME", "~/.config", "hilt"),
    "log": ("XDG_STATE_HOME", "~/.local/state", "hilt/log"),
    "state": ("XDG_STATE_HOME", "~/.local/state", "hilt"),
}


def default_log_file() -> str:
    """Where events go when nothing is configured: ``hilt.jsonl`` in the per-user log folder.

    That is platformdirs' ``user_log_dir("hilt")``, e.g. ``~/.local/state/hilt/log`` on Linux: it does
    not depend on the working directory (daemons, cron jobs) and stays private to the user.
    """
    return os.path.join(_user_dir("log"), "hilt.jsonl")


def default_log_path() -> Path:
    """:func:`default_log_file` as a ``Path``."""
    from pathlib import Path

    return Path(default_log_file())


def coerce(key: str, value: Any, source: str) -> Any:
    """Convert ``value`` (a string from the environment, or a TOML/Python value) to the type of ``key``."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if key in BOOL_FIELDS:
        return parse_bool(value, source, key)
    if key in _SECONDS:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(source, key, "a number of seconds", value) from None
        if isinstance(value, bool) or number < 0:
            raise ConfigError(source, key, "a non-negative number of seconds", value)
        return number
    if key == "backend":
        return _coerce_backends(value, source)
    if key == "columns":
        if isinstance(value, str):
            value = [c.strip() for c in value.split(",") if c.strip()]
        if not isinstance(value, (list, tuple)) or not all(isinstance(c, str) for c in value):
            raise ConfigError(source, key, "a list of column names", value)
        return tuple(value)
    if key == "prices":
        return _coerce_prices(value, source)
    if key == "capture_content":
        return coerce_capture(value, source)
    if key == "sample_rate":
        return _coerce_rate(value, source)
    if key == "metadata":
        return _coerce_metadata(value, source)
    if key == "max_field_chars":
        return _coerce_field_chars(value, source)
    if key in SECRET_FIELDS:
        return _coerce_secret(key, value, source)
    if key in _RETENTION_FIELDS:
        return _coerce_retention(key, value, source)
    if key == "redact":
        return _coerce_redact(value, source)
    if not isinstance(value, str):
        raise ConfigError(source, key, "a string", value)
    if key == "sheets_endpoint" and value != _DEFAULTS[key]:
        _check_endpoint(value, source)
    return value


_CAPTURE_EXPECTED = 'one of "full", "metadata", "hash" (or a boolean: true is full, false is metadata)'


def coerce_capture(value: Any, source: str, key: str = "capture_content") -> str:
    """``"full"``/``"metadata"``/``"hash"`` (any case), a bool or a boolean word → the capture mode."""
    if isinstance(value, str) and value.strip().lower() in CAPTURE_MODES:
        return value.strip().lower()
    try:
        return "full" if parse_bool(value, source, key) else "metadata"
    except ConfigError:
        raise ConfigError(source, key, _CAPTURE_EXPECTED, value) from None


def _coerce_rate(value: Any, source: str) -> float:
    expected = "a number from 0 to 1 (the share of conversations kept)"
    try:
        rate = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ConfigError(source, "sample_rate", expected, value) from None
    if isinstance(value, bool) or not 0.0 <= rate <= 1.0:  # NaN fails the comparison too
        raise ConfigError(source, "sample_rate", expected, value)
    return rate


def _coerce_metadata(value: Any, source: str) -> dict[str, Any]:
    """A table (or, from the environment, a JSON object) of name → string, number or boolean."""
    expected = 'a table of name → string, number or boolean (in the environment, a JSON object like {"legal_basis": "contract"})'
    if isinstance(value, str):
        import json

        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigError(source, "metadata", expected, value) from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, (str, int, float, bool)) for k, v in value.items()
    ):
        raise ConfigError(source, "metadata", expected, value)
    return dict(value)


def _coerce_field_chars(value: Any, source: str) -> int:
    expected = "a whole number of characters, 1000 or more (0: no limit)"
    try:
        number = int(value.strip()) if isinstance(value, str) else value
    except ValueError:
        raise ConfigError(source, "max_field_chars", expected, value) from None
    if type(number) is not int or number < 0 or 0 < number < 1000:
        raise ConfigError(source, "max_field_chars", expected, value)
    return number


_RETENTION_FIELDS = frozenset({"rotate", "retention_days"})
_ROTATE_EXPECTED = '"daily" or a size such as "100 MB", "500KB", "1 GiB" (KB/MB/GB: powers of 1000; KiB/MiB/GiB: of 1024)'
_SIZE_UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}


def rotate_limit(value: str | int) -> int | str:
    """``"daily"``, or the size in bytes at which to rotate (``"100 MB"`` → 100000000); ``ValueError`` otherwise."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if not isinstance(value, str):
        raise ValueError(value)
    text = value.strip().upper()
    if text == "DAILY":
        return "daily"
    digits = text.rstrip("BKMGI ")
    unit = text[len(digits) :].strip()
    if not unit or not digits.replace(".", "", 1).isdigit():  # "100" alone: 100 bytes or 100 MB? Ask for the unit
        raise ValueError(value)
    number = float(digits)
    if unit not in _SIZE_UNITS or not number > 0 or int(number * _SIZE_UNITS[unit]) < 1:
        raise ValueError(value)
    return int(number * _SIZE_UNITS[unit])


def _coerce_retention(key: str, value: Any, source: str) -> Any:
    """``rotate``: kept as written once :func:`rotate_limit` reads it; ``retention_days``: a whole number ≥ 1."""
    if key == "rotate":
        try:
            rotate_limit(value)
        except ValueError:
            raise ConfigError(source, key, _ROTATE_EXPECTED, value) from None
        return value.strip() if isinstance(value, str) else value
    try:
        days = int(value.strip()) if isinstance(value, str) else value
    except ValueError:
        days = None
    if type(days) is not int or days < 1:
        raise ConfigError(source, key, "a whole number of days, 1 or more", value)
    return days


def _coerce_redact(value: Any, source: str) -> tuple[Any, ...]:
    """``"email,card"`` or a list of built-in names, ``"module:function"`` paths and (from code) functions.

    A path is only checked for its shape here; it is imported when HILT is instrumented.
    """
    from .privacy._names import BUILTIN_NAMES

    items = value.split(",") if isinstance(value, str) else value
    expected = "built-in redactor names (" + ", ".join(BUILTIN_NAMES) + '), "module:function" paths or functions'
    if not isinstance(items, (list, tuple)):
        raise ConfigError(source, "redact", expected, value)
    chosen: list[Any] = []
    for item in items:
        if isinstance(item, str):
            item = item.strip()
            if not item:
                continue
            module, colon, function = item.partition(":")
            is_path = colon and all(part.isidentifier() for part in (*module.split("."), *function.split(".")))
            if item not in BUILTIN_NAMES and not is_path:
                raise ConfigError(source, "redact", expected, item)
        elif not callable(item):
            raise ConfigError(source, "redact", expected, item)
        if item not in chosen:
            chosen.append(item)
    return tuple(chosen)


def _coerce_secret(key: str, value: Any, source: str) -> str:
    """The service-account JSON as text (a dict is serialised); an error never shows the value (a private key)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        import json

        try:
            return json.dumps(value)
        except (TypeError, ValueError):
            pass
    expected = f"the service-account JSON as a string or a dict of JSON values (got a {type(value).__name__}; value not shown)"
    raise ConfigError(source, key, expected)


def _check_endpoint(url: str, source: str) -> None:
    """Only ``https``; plain ``http`` only to a loopback host (tests): the access token travels with every request."""
    from urllib.parse import urlsplit

    expected = "an https:// URL (plain http only for a loopback host: 127.0.0.0/8, ::1 or localhost)"
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        raise ConfigError(source, "sheets_endpoint", expected, redact_url(url)) from None
    if host and (parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host))):
        return
    raise ConfigError(source, "sheets_endpoint", expected, redact_url(url))


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``, for messages and ``--info``."""
    scheme, sep, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    if not sep or "@" not in netloc:
        return url
    return f"{scheme}://***@{netloc.rpartition('@')[2]}{slash}{path}"


def display_value(key: str, value: Any) -> str:
    """How ``hilt-agent --info`` shows a setting: secrets as ``*** (set)``, URLs without credentials."""
    if key in SECRET_FIELDS and value:
        return "*** (set)"
    if key == "sheets_endpoint" and isinstance(value, str):
        return repr(redact_url(value))
    return "-" if value is None else repr(value)


def _coerce_backends(value: Any, source: str) -> tuple[str, ...]:
    """``"local,otlp"``, ``["local", "otlp"]`` or ``"sheets"`` → ``("local", "otlp")`` (duplicates dropped)."""
    items = value.split(",") if isinstance(value, str) else value
    expected = "one or more of " + ", ".join(BACKENDS) + ' (a name, a list, or "local,otlp")'
    if not isinstance(items, (list, tuple)) or not all(isinstance(item, str) for item in items):
        raise ConfigError(source, "backend", expected, value)
    names = [_BACKEND_ALIASES.get(item.strip().lower(), item.strip().lower()) for item in items]
    if not names or any(name not in BACKENDS for name in names):
        raise ConfigError(source, "backend", expected, value)
    return tuple(dict.fromkeys(names))


def _coerce_prices(value: Any, source: str) -> dict[str, dict[str, float]]:
    if isinstance(value, str):
        import json

        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigError(source, "prices", 'a JSON object like {"model": {"input": 1.0, "output": 2.0}}', value) from None
    expected = "a table of model → {input, output, cached_input} in USD per million tokens"
    if not hasattr(value, "items") or not all(hasattr(v, "items") for v in value.values()):
        raise ConfigError(source, "prices", expected, value)
    from .pricing import ModelRates

    for model, rates in value.items():
        try:
            ModelRates.from_mapping(str(model), rates)
        except ValueError:
            expected = (
                f"a table with 'input' and 'output' (and optionally 'cached_input', 'cache_write') for {str(model)!r}, "
                "in USD per million tokens"
            )
            raise ConfigError(source, "prices", expected, dict(rates)) from None
    return {str(k): dict(v) for k, v in value.items()}


def _check_file_value(key: str, value: Any, path: str) -> Any:
    """A TOML value must already have the right type (a string ``"yes"`` is not a boolean in a file)."""
    if key not in FIELDS:  # the value is not shown: an unknown key may hold a secret
        raise ConfigError(path, key, "one of the HILT settings: " + ", ".join(k for k in FIELDS if k not in SECRET_FIELDS))
    if key in SECRET_FIELDS:
        raise ConfigError(path, key, f"no secret in a config file: set {env_name(key)} or credentials_path instead")
    if key in BOOL_FIELDS and not isinstance(value, bool):
        raise ConfigError(path, key, "a boolean (true or false)", value)
    if key == "capture_content" and not (isinstance(value, bool) or value in CAPTURE_MODES):
        raise ConfigError(path, key, _CAPTURE_EXPECTED, value)
    if key == "sample_rate" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ConfigError(path, key, "a number from 0 to 1", value)
    if key == "metadata" and not isinstance(value, dict):
        raise ConfigError(path, key, "a table of name → string, number or boolean", value)
    if key in _SECONDS and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ConfigError(path, key, "a number of seconds", value)
    if key == "max_field_chars" and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(path, key, "a whole number of characters", value)
    if key == "columns" and not isinstance(value, list):
        raise ConfigError(path, key, "an array of column names", value)
    if key == "rotate" and not isinstance(value, str):
        raise ConfigError(path, key, _ROTATE_EXPECTED, value)
    if key == "retention_days" and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(path, key, "a whole number of days, 1 or more", value)
    if key == "prices" and not isinstance(value, dict):
        raise ConfigError(path, key, "a table of model → {input, output, cached_input}", value)
    if key == "redact" and not isinstance(value, (str, list)):
        raise ConfigError(path, key, 'an array of redactor names, e.g. ["email", "card"]', value)
    return coerce(key, value, path)


def file_settings(environ: Mapping[str, str] | None = None, cwd: str | None = None) -> dict[str, tuple[Any, str]]:
    """Values from the config files, merged, as ``{key: (value, path)}``; raises ``ConfigError`` when invalid."""
    from ._trust import config_files, merge_files

    return merge_files(config_files(environ, cwd))


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
    override_source: str = "argument",
) -> Settings:
    """Merge defaults < file values < environment < ``overrides`` (``None`` overrides are ignored).

    ``override_source`` labels the overrides in ``Settings.sources`` (``hilt-agent --info`` uses ``"flag"``).
    """
    layers: dict[str, tuple[Any, str]] = {}
    layers.update(file_values or {})
    layers.update(settings_from_env(environ))
    where = "instrument()" if override_source == "argument" else override_source
    for key, value in (overrides or {}).items():
        if key not in FIELDS:
            raise ConfigError(where, key, "one of " + ", ".join(FIELDS))
        if value is not None:
            layers[key] = (coerce(key, value, where), override_source)
    values = {key: value for key, (value, _) in layers.items()}
    sources = {key: layers[key][1] if key in layers else "default" for key in FIELDS}
    return Settings(**values, sources=sources)


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    override_source: str = "argument",
) -> Settings:
    """Resolve settings from ``overrides``, the environment and the config files (see :func:`config_files`)."""
    from ._trust import config_files, merge_files, warn_ignored

    files = config_files(environ)
    warn_ignored(files)
    return resolve_settings(overrides, environ=environ, file_values=merge_files(files), override_source=override_source)
