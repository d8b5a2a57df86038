"""HILT's one configuration model, shared by ``instrument()``, ``HILT_ENABLED=1`` and ``hilt-agent``.

Precedence, highest first: explicit ``instrument()`` arguments, ``HILT_*`` environment variables, the
TOML file, then defaults. Every resolved value remembers where it came from (``Settings.sources``).

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
    from collections.abc import Iterator, Mapping
    from pathlib import Path
    from typing import Any

__all__ = [
    "FIELDS",
    "Settings",
    "default_log_file",
    "default_log_path",
    "env_name",
    "find_config_file",
    "load_settings",
    "parse_bool",
    "resolve_settings",
]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
BACKENDS = ("local", "sheets")
_BACKEND_ALIASES = {"jsonl": "local", "file": "local"}

_DEFAULTS: dict[str, Any] = {
    "backend": "local",
    "filepath": None,
    "capture_content": True,
    "sheet_id": None,
    "credentials_path": None,
    "credentials_json": None,
    "worksheet_name": "Logs",
    "columns": None,
    "sheets_endpoint": "https://sheets.googleapis.com",
    "flush_interval": 5.0,
    "journal_path": None,
    "shutdown_timeout": 5.0,
    "prices": None,  # an empty dict, made fresh per Settings
    "propagate": True,
    "strict": False,
    "debug": False,
    "stream_usage": False,
}
_BOOLS = frozenset({"capture_content", "propagate", "strict", "debug", "stream_usage"})
_SECONDS = frozenset({"flush_interval", "shutdown_timeout"})

FIELDS: tuple[str, ...] = tuple(_DEFAULTS)
"""Every setting; the environment name is ``HILT_`` + the name in upper case, the TOML key is the name."""

SECRET_FIELDS = frozenset({"credentials_json"})
"""Settings that may come from the environment or arguments only, never from a config file."""


class Settings:
    """Effective HILT settings (immutable). Build them with :func:`load_settings` or :func:`resolve_settings`."""

    __slots__ = (*FIELDS, "sources")

    backend: str
    filepath: str | None
    capture_content: bool
    sheet_id: str | None
    credentials_path: str | None
    credentials_json: str | None
    worksheet_name: str
    columns: tuple[str, ...] | None
    sheets_endpoint: str
    flush_interval: float
    journal_path: str | None
    shutdown_timeout: float
    prices: Mapping[str, Mapping[str, float]]
    propagate: bool
    strict: bool
    debug: bool
    stream_usage: bool
    sources: Mapping[str, str]
    """Where each value came from: ``"default"``, a TOML file path, ``"env HILT_X"``, ``"argument"`` or ``"flag"``."""

    def __init__(self, **values: Any) -> None:
        unknown = set(values).difference(FIELDS, ("sources",))
        if unknown:
            raise TypeError(f"Settings() got unknown settings: {', '.join(sorted(unknown))}")
        for key in FIELDS:
            value = values.get(key, _DEFAULTS[key])
            object.__setattr__(self, key, {} if key == "prices" and value is None else value)
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
    """platformdirs' ``user_config_dir("hilt")`` (kind ``config``) or ``user_log_dir("hilt")`` (kind ``log``).

    On Linux it is computed from the XDG variables directly, because importing platformdirs costs
    ~20 ms (pathlib, tempfile, ...) and the agent needs these paths at interpreter start-up; a test
    checks the two agree.
    """
    home = os.environ.get("HOME", "")
    if sys.platform.startswith("linux") and home.startswith("/"):
        var, fallback, suffix = ("XDG_CONFIG_HOME", "~/.config", "hilt") if kind == "config" else ("XDG_STATE_HOME", "~/.local/state", "hilt/log")
        base = os.environ.get(var, "")
        if not base.startswith("/"):
            base = os.path.expanduser(fallback)
        return os.path.join(base, suffix)
    import platformdirs

    if kind == "config":
        return platformdirs.user_config_dir("hilt", appauthor=False)
    return platformdirs.user_log_dir("hilt", appauthor=False)


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
    if key in _BOOLS:
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
        return _coerce_prices(value, source)
    if not isinstance(value, str):
        raise ConfigError(source, key, "a string", value)
    return value


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
    return {str(k): dict(v) for k, v in value.items()}


def _check_file_value(key: str, value: Any, path: str) -> Any:
    """A TOML value must already have the right type (a string ``"yes"`` is not a boolean in a file)."""
    if key not in FIELDS:
        raise ConfigError(path, key, "one of the HILT settings: " + ", ".join(k for k in FIELDS if k not in SECRET_FIELDS), value)
    if key in SECRET_FIELDS:
        raise ConfigError(path, key, f"no secret in a config file: set {env_name(key)} or credentials_path instead")
    if key in _BOOLS and not isinstance(value, bool):
        raise ConfigError(path, key, "a boolean (true or false)", value)
    if key in _SECONDS and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ConfigError(path, key, "a number of seconds", value)
    if key == "columns" and not isinstance(value, list):
        raise ConfigError(path, key, "an array of column names", value)
    if key == "prices" and not isinstance(value, dict):
        raise ConfigError(path, key, "a table of model → {input, output, cached_input}", value)
    return coerce(key, value, path)


def _candidates(environ: Mapping[str, str], cwd: str) -> Iterator[tuple[str, bool]]:
    explicit = environ.get("HILT_CONFIG", "").strip()
    if explicit:
        path = os.path.abspath(os.path.join(cwd, os.path.expanduser(explicit)))
        if not os.path.isfile(path):
            raise ConfigError(path, "HILT_CONFIG", "an existing TOML file")
        yield path, os.path.basename(path) == "pyproject.toml"
        return
    yield os.path.join(cwd, "hilt.toml"), False
    yield os.path.join(cwd, "pyproject.toml"), True
    yield os.path.join(_user_dir("config"), "hilt.toml"), False


def find_config_file(environ: Mapping[str, str] | None = None, cwd: str | None = None) -> tuple[str, dict[str, Any]] | None:
    """The TOML file that configures HILT and its HILT table, or ``None``.

    Order: ``$HILT_CONFIG``; ``./hilt.toml``; ``./pyproject.toml`` if it has a ``[tool.hilt]`` table;
    ``hilt.toml`` in the platformdirs user config folder.
    """
    environ = os.environ if environ is None else environ
    for path, is_pyproject in _candidates(environ, os.getcwd() if cwd is None else cwd):
        if not os.path.isfile(path) or (is_pyproject and not _mentions_hilt(path)):
            continue
        table = _read_toml(path, is_pyproject)
        if table is not None:
            return path, table
    return None


def _mentions_hilt(path: str) -> bool:
    # Most pyproject.toml files have no [tool.hilt]: skip parsing them (tomllib costs ~10 ms to import).
    try:
        with open(path, "rb") as f:
            return b"hilt" in f.read()
    except OSError:
        return False


def _read_toml(path: str, is_pyproject: bool) -> dict[str, Any] | None:
    """The HILT table of ``path`` (``None`` when a pyproject.toml has no ``[tool.hilt]``)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "TOML syntax", f"valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(path, "file", f"a readable file ({exc.strerror})") from None
    if not is_pyproject:
        return data
    tool = data.get("tool")
    table = tool.get("hilt") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(path, "tool.hilt", "a table of HILT settings", table)
    return table


def file_settings(environ: Mapping[str, str] | None = None, cwd: str | None = None) -> dict[str, tuple[Any, str]]:
    """Values from the discovered TOML file, as ``{key: (value, path)}``; raises ``ConfigError`` when invalid."""
    found = find_config_file(environ, cwd)
    if found is None:
        return {}
    path, table = found
    return {key: (_check_file_value(key, value, path), path) for key, value in table.items()}


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
    """Resolve settings from ``overrides``, the environment and the discovered TOML file."""
    return resolve_settings(
        overrides, environ=environ, file_values=file_settings(environ), override_source=override_source
    )
