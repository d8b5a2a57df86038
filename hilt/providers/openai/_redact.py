"""The JSON-safe copy of request values, where secrets are redacted and text is capped.

:func:`jsonable` is the one door through which request values reach a record. On the way it

- replaces the value of every secret-looking key (:data:`SECRET_KEYS`, any case, at any depth) by
  :data:`REDACTED`, so tool credentials (``tools=[{"type": "mcp", "authorization": ...}]``) never reach a writer;
- strips user-info and secret query values from URLs under ``url``/``*_url`` keys (:func:`safe_url`);
- cuts text longer than ``max_field_chars`` (:func:`cap_text`) and shortens inline ``data:`` URLs;
- turns a container that contains itself into :data:`CYCLE` instead of walking it forever.

:class:`TextBuffer` applies the same cap to text that arrives in pieces (streams), and
:func:`scrub_request_secrets` takes a request's credentials out of an error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ... import providers as _limits

__all__ = [
    "CYCLE",
    "REDACTED",
    "SECRET_KEYS",
    "TextBuffer",
    "cap_text",
    "jsonable",
    "safe_url",
    "scrub_request_secrets",
]

REDACTED = "[REDACTED]"
"""What a secret value becomes in the log."""

CYCLE = "<cycle>"
"""What a container becomes where it appears inside itself."""

SECRET_KEYS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "proxy_authorization",
        "headers",
        "cookie",
        "cookies",
        "set-cookie",
        "api_key",
        "api-key",
        "apikey",
        "x-api-key",
        "x_api_key",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "auth_token",
        "bearer_token",
        "azure_ad_token",
        "secret",
        "client_secret",
        "secret_key",
        "password",
        "passwd",
        "private_key",
        "credentials",
    }
)
"""Keys (compared in lower case) whose values never reach the log, at any depth of a parameter."""

_SENTINELS = frozenset({"NotGiven", "Omit"})
_MAX_DEPTH = 20
_DATA_URL_KEEP = 64
_TOO_DEEP = "<nested too deep>"
_key_kinds: dict[str, int] = {}  # key → _PLAIN/_SECRET/_URL/_SCHEMA_PROPERTIES, see _key_kind


def cap_text(text: str, length: int | None = None) -> str:
    """``text`` cut to ``max_field_chars`` characters, marker included, with the original ``length`` recorded.

    The cut text ends with ``…[truncated: N characters]`` (N: the length before the cut), so a reader
    sees at once that and how much was left out; capping it again changes nothing. ``length``
    defaults to ``len(text)`` (a stream buffer that stopped keeping text passes the length it counted).
    """
    limit = _limits.max_field_chars
    length = len(text) if length is None else length
    if not limit or length <= limit:
        return text
    marker = f"…[truncated: {length} characters]"
    return text[: max(limit - len(marker), 0)] + marker


def _text(value: str) -> str:
    """A string longer than a short word: a ``data:`` URL is described, a long text capped."""
    if value.startswith("data:"):
        head = value.split(",", 1)[0]
        return f"{head},<{len(value)} characters omitted>"
    limit = _limits.max_field_chars
    return value if not limit or len(value) <= limit else cap_text(value)


# What a mapping key says about its value (memoised per key: a dict lookup on the hot path).
_PLAIN, _SECRET, _URL, _SCHEMA_PROPERTIES, _BINARY = 0, 1, 2, 3, 4
_BINARY_KEYS = frozenset({"data", "file_data", "b64_json"})  # base64 audio, files, images
_QUERY_SECRET_HINTS = ("key", "token", "secret", "sig", "password", "auth", "credential", "session")


def _key_kind(key: str) -> int:
    lowered = key.lower()
    if lowered in SECRET_KEYS:
        kind = _SECRET
    elif lowered == "url" or lowered.endswith(("_url", "-url")):
        kind = _URL
    elif lowered == "properties":  # JSON Schema: the keys below are field names ("password"), not secrets
        kind = _SCHEMA_PROPERTIES
    elif lowered in _BINARY_KEYS:
        kind = _BINARY
    else:
        kind = _PLAIN
    if len(_key_kinds) < 4096:
        _key_kinds[key] = kind
    return kind


_BASE64_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_\n")


def _looks_base64(value: str) -> bool:
    return value.startswith("data:") or _BASE64_CHARACTERS.issuperset(value[:256])


def _secret_query_name(name: str) -> bool:
    lowered = name.lower()
    return any(hint in lowered for hint in _QUERY_SECRET_HINTS)


def safe_url(url: str) -> str:
    """``url`` without user-info and with the values of secret-looking query parameters redacted."""
    if "@" not in url and "?" not in url:
        return url
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(_secret_query_name(name) for name, _ in pairs):
                query = urlencode([(n, REDACTED if _secret_query_name(n) else v) for n, v in pairs], safe="[]")
        if netloc == parts.netloc and query == parts.query:
            return url
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return REDACTED


def jsonable(value: Any) -> Any:
    """A JSON-safe copy of a request value (SDK models, TypedDicts, classes): secrets redacted, text capped.

    Inline binary payloads (``data:`` URLs, base64 audio) are replaced by a short description, so logs
    keep the structure of a multimodal prompt without megabytes of base64.
    """
    kind = type(value)
    if kind is str:
        return value if len(value) <= _DATA_URL_KEEP else _text(value)
    if kind is dict:
        return _copy_mapping(value, 0, [])
    if value is None or kind is bool or kind is int or kind is float:
        return value
    return _copy(value, 0, [])


def _copy(value: Any, depth: int, path: list[int]) -> Any:
    """``path``: ids of the containers being copied around ``value`` (a repeat is a cycle)."""
    kind = type(value)
    if kind is str:
        return value if len(value) <= _DATA_URL_KEEP else _text(value)
    if kind is dict:
        return _copy_mapping(value, depth, path)
    if kind is list or kind is tuple:
        return _copy_sequence(value, depth, path)
    if value is None or kind is bool or kind is int or kind is float:
        return value
    return _copy_other(value, depth, path)


def _cut_short(value: Any, depth: int, path: list[int]) -> str | None:
    """The placeholder for a container too deep or inside itself; else None, and ``value`` is now on ``path``."""
    if depth >= _MAX_DEPTH:
        return _TOO_DEEP
    ident = id(value)
    if ident in path:
        return CYCLE
    path.append(ident)
    return None


def _copy_mapping(value: Mapping[Any, Any], depth: int, path: list[int]) -> Any:
    placeholder = _cut_short(value, depth, path)
    if placeholder is not None:
        return placeholder
    memo = _key_kinds
    copy: dict[str, Any] = {}
    for k, v in value.items():
        key = k if type(k) is str else str(k)
        key_kind = memo.get(key)
        if key_kind is None:
            key_kind = _key_kind(key)
        kind = type(v)
        if key_kind:
            if kind.__name__ in _SENTINELS:
                continue
            copy[key] = _special(key_kind, v, depth, path)
        elif kind is str:
            copy[key] = v if len(v) <= _DATA_URL_KEEP else _text(v)
        elif kind.__name__ not in _SENTINELS:
            copy[key] = _copy(v, depth + 1, path)
    path.pop()
    return copy


def _special(key_kind: int, value: Any, depth: int, path: list[int]) -> Any:
    """The copy of a value whose key is a secret, a URL or a JSON Schema ``properties``."""
    if key_kind == _SECRET:
        return REDACTED
    if key_kind == _URL and isinstance(value, str):
        return safe_url(_text(value)) if not value.startswith("data:") else _text(value)
    if key_kind == _BINARY and isinstance(value, str) and len(value) > _DATA_URL_KEEP and _looks_base64(value):
        return _text(value) if value.startswith("data:") else f"<{len(value)} characters of base64 omitted>"
    if key_kind == _SCHEMA_PROPERTIES and type(value) is dict and depth < _MAX_DEPTH:
        copy = _copy_mapping(value, depth + 1, path)
        for name, field in value.items():
            if type(field) is dict:  # a field's schema is kept whatever the field is called ("password")
                copy[str(name)] = _copy(field, depth + 2, path)
        return copy
    return _copy(value, depth + 1, path)


def _copy_sequence(value: Any, depth: int, path: list[int]) -> Any:
    placeholder = _cut_short(value, depth, path)
    if placeholder is not None:
        return placeholder
    copy = [_copy(v, depth + 1, path) for v in value]
    path.pop()
    return copy


def _copy_other(value: Any, depth: int, path: list[int]) -> Any:
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return _text(str(value))
    if isinstance(value, Mapping):
        return _copy_mapping(value, depth, path)
    if isinstance(value, (list, tuple)):
        return _copy_sequence(value, depth, path)
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    dump = getattr(value, "model_dump", None)
    if callable(dump) and depth < _MAX_DEPTH:
        try:
            return _copy(dump(mode="json", exclude_none=True), depth + 1, path)
        except Exception:
            pass
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    return repr(value)[:200]


class TextBuffer:
    """Text that arrives in pieces (a stream), kept up to ``max_field_chars`` and counted in full."""

    __slots__ = ("parts", "chars", "limit")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.chars = 0
        self.limit = _limits.max_field_chars or float("inf")

    def add(self, text: str) -> None:
        """Keep ``text`` while under the limit; always count it (the chat stream accumulator inlines this)."""
        if self.chars <= self.limit:
            self.parts.append(text)
        self.chars += len(text)

    @property
    def truncated(self) -> bool:
        """True when more text arrived than is kept."""
        return self.chars > self.limit

    def text(self) -> str:
        """The text so far, cut at the limit with the full length recorded (see :func:`cap_text`)."""
        return cap_text("".join(self.parts), self.chars)


_SECRET_HEADERS = ("authorization", "api-key", "x-api-key", "proxy-authorization", "cookie")


def scrub_request_secrets(message: str, request: Any) -> str:
    """``message`` without the credentials ``request`` carried (auth headers, URL password, secret query values).

    A server or proxy may echo them in an error body; HILT knows which values it must not write.
    """
    secrets: list[str] = []
    try:
        lookup = getattr(getattr(request, "headers", None), "get", None)  # httpx.Headers: case-insensitive
        if callable(lookup):
            for name in _SECRET_HEADERS:
                value = lookup(name)
                if isinstance(value, str):
                    secrets.append(value)
                    secrets.append(value.partition(" ")[2])  # "Bearer <token>": the token alone too
        url = getattr(request, "url", None)
        password = getattr(url, "password", None)
        if isinstance(password, str):
            secrets.append(password)
        params = getattr(url, "params", None)
        if params is not None:
            secrets.extend(value for name, value in params.multi_items() if _secret_query_name(name))
    except Exception:  # an odd request object: scrub what was found
        pass
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 6 and secret in message:
            message = message.replace(secret, REDACTED)
    return message
