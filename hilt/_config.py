"""HILT's one configuration model, shared by ``instrument()``, ``HILT_ENABLED=1`` and ``hilt-agent``.

Precedence, lowest first: defaults < the user's config file < the project's config file (only the keys
an untrusted file may set, see ``hilt/_trust.py``) < the ``$HILT_CONFIG`` file < ``HILT_*`` environment
variables < ``instrument()`` arguments (or ``hilt-agent --info`` flags). Files merge per key. Every
resolved value remembers where it came from (``Settings.sources``).

The pieces, one job each: ``hilt/_settings.py`` (every setting, its default, the ``Settings`` object),
``hilt/_config_values.py`` (what each setting accepts), ``hilt/_config_files.py`` (reading one TOML file),
``hilt/_trust.py`` (which files are read and how far each is trusted), ``hilt/_user_dirs.py`` (the per-user
folders). This module merges the layers; the names the rest of HILT uses are importable from here.

The agent imports this module at interpreter start-up, so it and those modules import nothing beyond ``os`` and ``sys``
at module level (no ``typing``, ``dataclasses``, ``pathlib``, ``tomllib`` or ``platformdirs``): see
``docs/agent.md``.
"""

from __future__ import annotations

import os

from ._config_values import coerce, display_value, parse_bool, rotate_limit
from ._settings import BOOL_FIELDS, FIELDS, SECRET_FIELDS, Settings, env_name
from ._user_dirs import default_log_file, default_log_path
from .exceptions import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = [
    "BOOL_FIELDS",
    "FIELDS",
    "SECRET_FIELDS",
    "Settings",
    "coerce",
    "default_log_file",
    "default_log_path",
    "display_value",
    "env_name",
    "load_settings",
    "parse_bool",
    "resolve_settings",
    "rotate_limit",
    "settings_from_env",
]


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
    """Resolve settings from ``overrides``, the environment and the config files (see ``hilt._trust.config_files``)."""
    from ._trust import config_files, merge_files, warn_ignored

    files = config_files(environ)
    warn_ignored(files)
    return resolve_settings(overrides, environ=environ, file_values=merge_files(files), override_source=override_source)
