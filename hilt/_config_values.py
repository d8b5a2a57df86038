"""What each setting accepts: a raw value (a string from the environment, a TOML or Python value) becomes
the setting's type, or a ``ConfigError`` names the source, the key and what was expected.

Also how ``hilt-agent --info`` shows a value (:func:`display_value`). Only ``os`` at module level: the
agent checks its settings at interpreter start-up.
"""

from __future__ import annotations

import os

from ._settings import BOOL_FIELDS, CAPTURE_MODES, DEFAULTS, SECONDS_FIELDS, SECRET_FIELDS
from .exceptions import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "BACKENDS",
    "CAPTURE_EXPECTED",
    "ROTATE_EXPECTED",
    "coerce",
    "coerce_capture",
    "display_value",
    "parse_bool",
    "redact_url",
    "rotate_limit",
]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
BACKENDS = ("local", "sheets", "otlp")
_BACKEND_ALIASES = {"jsonl": "local", "file": "local"}


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



def coerce(key: str, value: Any, source: str) -> Any:
    """Convert ``value`` (a string from the environment, or a TOML/Python value) to the type of ``key``."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if key in BOOL_FIELDS:
        return parse_bool(value, source, key)
    if key in SECONDS_FIELDS:
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
    if key == "sheets_endpoint" and value != DEFAULTS[key]:
        _check_endpoint(value, source)
    return value


CAPTURE_EXPECTED = 'one of "full", "metadata", "hash" (or a boolean: true is full, false is metadata)'


def coerce_capture(value: Any, source: str, key: str = "capture_content") -> str:
    """``"full"``/``"metadata"``/``"hash"`` (any case), a bool or a boolean word → the capture mode."""
    if isinstance(value, str) and value.strip().lower() in CAPTURE_MODES:
        return value.strip().lower()
    try:
        return "full" if parse_bool(value, source, key) else "metadata"
    except ConfigError:
        raise ConfigError(source, key, CAPTURE_EXPECTED, value) from None


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
ROTATE_EXPECTED = '"daily" or a size such as "100 MB", "500KB", "1 GiB" (KB/MB/GB: powers of 1000; KiB/MiB/GiB: of 1024)'
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
            raise ConfigError(source, key, ROTATE_EXPECTED, value) from None
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
