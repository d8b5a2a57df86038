"""Observe an SDK stream without replacing it.

The application keeps the very ``openai.Stream``/``AsyncStream`` object the SDK made (same type, same
attributes). HILT swaps the stream's internal iterator for a generator that reads each chunk as it
passes, and hooks the HTTP response's ``close``/``aclose``, which every way of closing a stream reaches
(``close()``, ``with``/``async with``, the ``.stream()`` helpers). A ``weakref.finalize`` covers a
stream that is dropped unread. Whatever happens first finishes the record, exactly once:

=====================================  ===========
exit path                              status
=====================================  ===========
iterated to the end                    ok
an exception while reading             error
task cancelled / KeyboardInterrupt     cancelled
``close()``, ``break`` in ``with``,    incomplete
garbage collection, interpreter exit
=====================================  ===========
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from .._record import STATUS_CANCELLED, STATUS_ERROR, STATUS_INCOMPLETE, STATUS_OK, CallRecord
from .._safety import guard, is_cancellation

__all__ = ["StreamObserver", "observe_async_stream", "observe_sync_stream"]

_READ_CHUNK = guard("read a stream chunk")
_FINISH = guard("finish a stream record")


class StreamObserver:
    """Collects a stream's chunks into its record and finishes the record once."""

    __slots__ = ("_finish", "_record", "_accumulator", "_done", "_lock")

    def __init__(self, record: CallRecord, accumulator: Any, finish: Any) -> None:
        self._record = record
        self._accumulator = accumulator
        self._finish = finish  # callable(record, accumulator)
        self._done = False
        self._lock = threading.Lock()

    def on_chunk(self, chunk: Any) -> None:
        """Read one chunk; never raises (``try`` + ``guard.failed``: this runs for every chunk)."""
        try:
            if self._accumulator.add(chunk) and self._record.first_token_ns is None:
                self._record.first_token_ns = time.perf_counter_ns()
        except Exception as exc:
            _READ_CHUNK.failed(exc)

    def finish(self, status: str, error: BaseException | None = None) -> None:
        """Finish the record with ``status``; later calls do nothing."""
        if self._done:
            return
        with self._lock:
            if self._done:
                return
            self._done = True
        record = self._record
        record.ended_ns = time.perf_counter_ns()
        record.status = status
        record.error = error
        with _FINISH:
            self._finish(record, self._accumulator)


def _status_of(exc: BaseException) -> str:
    return STATUS_CANCELLED if is_cancellation(exc) else STATUS_ERROR


# The two generators below run once per chunk: the observer's work is inlined (no method call) and the
# per-chunk ``try`` costs nothing (Python >= 3.11); see StreamObserver.on_chunk for the same logic.


def _observed_sync(inner: Any, observer: StreamObserver) -> Any:
    status, error = STATUS_INCOMPLETE, None
    add, record, clock = observer._accumulator.add, observer._record, time.perf_counter_ns
    try:
        for chunk in inner:
            try:
                if add(chunk) and record.first_token_ns is None:
                    record.first_token_ns = clock()
            except Exception as exc:
                _READ_CHUNK.failed(exc)
            yield chunk
        status = STATUS_OK
    except GeneratorExit:
        raise
    except BaseException as exc:
        status, error = _status_of(exc), exc
        raise
    finally:
        observer.finish(status, error)


async def _observed_async(inner: Any, observer: StreamObserver) -> Any:
    status, error = STATUS_INCOMPLETE, None
    add, record, clock = observer._accumulator.add, observer._record, time.perf_counter_ns
    try:
        async for chunk in inner:
            try:
                if add(chunk) and record.first_token_ns is None:
                    record.first_token_ns = clock()
            except Exception as exc:
                _READ_CHUNK.failed(exc)
            yield chunk
        status = STATUS_OK
    except GeneratorExit:
        raise
    except BaseException as exc:
        status, error = _status_of(exc), exc
        raise
    finally:
        observer.finish(status, error)


def _iteration_in_charge(inner: Any, prefix: str) -> bool:
    """True while the SDK's iterator is running or has ended: then the iteration reports the outcome.

    The SDK (and httpx) close the response from inside the iterator when the body ends; that is not
    an early close.
    """
    return bool(getattr(inner, prefix + "_running", False)) or getattr(inner, prefix + "_frame", True) is None


def _hook_close(response: Any, name: str, inner: Any, prefix: str, observer: StreamObserver, is_async: bool) -> None:
    original = getattr(response, name, None)
    if original is None:
        return
    if is_async:

        async def close_hook() -> Any:
            try:
                return await original()
            finally:
                if not _iteration_in_charge(inner, prefix):
                    observer.finish(STATUS_INCOMPLETE)

    else:

        def close_hook() -> Any:  # type: ignore[misc]
            try:
                return original()
            finally:
                if not _iteration_in_charge(inner, prefix):
                    observer.finish(STATUS_INCOMPLETE)

    setattr(response, name, close_hook)


def observe_sync_stream(stream: Any, observer: StreamObserver) -> bool:
    """Attach ``observer`` to a sync ``openai.Stream``; False if the stream's layout is unknown."""
    inner = getattr(stream, "_iterator", None)
    if inner is None or not hasattr(inner, "__next__"):
        return False
    stream._iterator = _observed_sync(inner, observer)
    response = getattr(stream, "response", None)
    if response is not None:
        _hook_close(response, "close", inner, "gi", observer, is_async=False)
    weakref.finalize(stream, observer.finish, STATUS_INCOMPLETE)
    return True


def observe_async_stream(stream: Any, observer: StreamObserver) -> bool:
    """Attach ``observer`` to an ``openai.AsyncStream``; False if the stream's layout is unknown."""
    inner = getattr(stream, "_iterator", None)
    if inner is None or not hasattr(inner, "__anext__"):
        return False
    stream._iterator = _observed_async(inner, observer)
    response = getattr(stream, "response", None)
    if response is not None:
        _hook_close(response, "aclose", inner, "ag", observer, is_async=True)
    weakref.finalize(stream, observer.finish, STATUS_INCOMPLETE)
    return True
