"""Reading one TOML config file: its bytes, its HILT table, and each value checked as a file must give it.

Every problem is a ``ConfigError`` naming the file, the key and what was expected. Which files are read,
and how far each is trusted, is ``hilt/_trust.py``'s job. ``tomllib`` is imported only when a file exists.
"""

from __future__ import annotations

import os
import sys

from ._config_values import CAPTURE_EXPECTED, ROTATE_EXPECTED, coerce
from ._settings import BOOL_FIELDS, CAPTURE_MODES, FIELDS, SECONDS_FIELDS, SECRET_FIELDS, env_name
from .exceptions import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["check_file_value", "parse_table", "read_bytes", "read_config_file"]


def check_file_value(key: str, value: Any, path: str) -> Any:
    """A TOML value must already have the right type (a string ``"yes"`` is not a boolean in a file)."""
    if key not in FIELDS:  # the value is not shown: an unknown key may hold a secret
        raise ConfigError(path, key, "one of the HILT settings: " + ", ".join(k for k in FIELDS if k not in SECRET_FIELDS))
    if key in SECRET_FIELDS:
        raise ConfigError(path, key, f"no secret in a config file: set {env_name(key)} or credentials_path instead")
    if key in BOOL_FIELDS and not isinstance(value, bool):
        raise ConfigError(path, key, "a boolean (true or false)", value)
    if key == "capture_content" and not (isinstance(value, bool) or value in CAPTURE_MODES):
        raise ConfigError(path, key, CAPTURE_EXPECTED, value)
    if key == "sample_rate" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ConfigError(path, key, "a number from 0 to 1", value)
    if key == "metadata" and not isinstance(value, dict):
        raise ConfigError(path, key, "a table of name → string, number or boolean", value)
    if key in SECONDS_FIELDS and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ConfigError(path, key, "a number of seconds", value)
    if key == "max_field_chars" and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(path, key, "a whole number of characters", value)
    if key == "columns" and not isinstance(value, list):
        raise ConfigError(path, key, "an array of column names", value)
    if key == "rotate" and not isinstance(value, str):
        raise ConfigError(path, key, ROTATE_EXPECTED, value)
    if key == "retention_days" and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(path, key, "a whole number of days, 1 or more", value)
    if key == "prices" and not isinstance(value, dict):
        raise ConfigError(path, key, "a table of model → {input, output, cached_input}", value)
    if key == "redact" and not isinstance(value, (str, list)):
        raise ConfigError(path, key, 'an array of redactor names, e.g. ["email", "card"]', value)
    return coerce(key, value, path)


def read_bytes(path: str, limit: int = -1) -> bytes | None:
    """The content of ``path`` (at most ``limit`` + 1 bytes), or ``None`` when there is no such file."""
    if not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as f:
            return f.read(limit + 1 if limit >= 0 else -1)
    except OSError as exc:
        raise ConfigError(path, "file", f"a readable file ({exc.strerror})") from None


def parse_table(path: str, data: bytes, is_pyproject: bool) -> dict[str, Any] | None:
    """The HILT table in ``data`` (``None`` when a pyproject.toml has no ``[tool.hilt]``)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "TOML syntax", f"valid TOML ({exc})") from None
    if not is_pyproject:
        return parsed
    tool = parsed.get("tool")
    table = tool.get("hilt") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(path, "tool.hilt", "a table of HILT settings", table)
    return table


def read_config_file(path: str) -> tuple[bytes, dict[str, Any]]:
    """The bytes and checked settings of ``path`` read as a trusted file (``hilt config trust`` checks it first)."""
    data = read_bytes(path)
    if data is None:
        raise ConfigError(path, "file", "an existing TOML file")
    table = parse_table(path, data, os.path.basename(path) == "pyproject.toml")
    if table is None:
        raise ConfigError(path, "tool.hilt", "a [tool.hilt] table of HILT settings")
    return data, {key: check_file_value(key, value, path) for key, value in table.items()}
