"""Follow a ``with_streaming_response`` result without reading its body.

The SDK hands the application an unread ``APIResponse``/``AsyncAPIResponse``; only the application may
read it. HILT wraps that object's own ``parse`` (an instance attribute; the type and every other
attribute stay as they are) and hooks its HTTP response's ``close``/``aclose``:

* the application calls ``.parse()``: the parsed object (or the stream it returns) is recorded, with
  usage, exactly like a plain call;
* the application reads the body another way (``iter_lines()``, ``read()``, ``json()``) or not at all:
  the record is finished without output or usage when the response is closed (the ``with`` block
  ends) or dropped.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from .._safety import guard

_RECORD = guard("record a streamed raw response")

__all__ = ["follow_streaming_response"]


class _Settle:
    """Hands the response to exactly one of ``on_parsed`` / ``on_unread``."""

    __slots__ = ("_on_parsed", "_on_unread", "_done", "_lock", "parsing", "__weakref__")

    def __init__(self, on_parsed: Callable[[Any], None], on_unread: Callable[[], None]) -> None:
        self._on_parsed = on_parsed
        self._on_unread = on_unread
        self._done = False
        self._lock = threading.Lock()
        self.parsing = 0

    def _claim(self) -> bool:
        with self._lock:
            if self._done:
                return False
            self._done = True
            return True

    def parsed(self, value: Any) -> None:
        if self._claim():
            with _RECORD:
                self._on_parsed(value)

    def unread(self) -> None:
        if self.parsing or not self._claim():
            return
        with _RECORD:
            self._on_unread()


def follow_streaming_response(
    response: Any, is_async: bool, on_parsed: Callable[[Any], None], on_unread: Callable[[], None]
) -> bool:
    """Attach to an unread SDK response; False when its layout is unknown (nothing attached)."""
    original_parse = getattr(response, "parse", None)
    http_response = getattr(response, "http_response", None)
    close_name = "aclose" if is_async else "close"
    original_close = getattr(http_response, close_name, None)
    if not callable(original_parse) or not callable(original_close):
        return False
    settle = _Settle(on_parsed, on_unread)

    if is_async:

        async def parse(*args: Any, **kwargs: Any) -> Any:
            settle.parsing += 1
            try:
                value = await original_parse(*args, **kwargs)
            except BaseException:
                settle.parsing -= 1
                settle.unread()
                raise
            settle.parsing -= 1
            settle.parsed(value)
            return value

        async def close() -> Any:
            try:
                return await original_close()
            finally:
                settle.unread()

    else:

        def parse(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            settle.parsing += 1
            try:
                value = original_parse(*args, **kwargs)
            except BaseException:
                settle.parsing -= 1
                settle.unread()
                raise
            settle.parsing -= 1
            settle.parsed(value)
            return value

        def close() -> Any:  # type: ignore[misc]
            try:
                return original_close()
            finally:
                settle.unread()

    parse.__doc__ = getattr(original_parse, "__doc__", None)
    response.parse = parse
    setattr(http_response, close_name, close)
    weakref.finalize(response, settle.unread)
    return True
