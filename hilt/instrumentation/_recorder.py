"""The sync and async wrappers: time the call, fill a record, hand it to the pipeline.

Each wrapper calls the SDK method with the arguments it was given, unchanged, and returns its result
unchanged (a stream is observed in place, see :mod:`._streams`). An exception from the SDK is recorded
and re-raised as the same object. A fault inside HILT is reported and the call goes on.

A context variable marks "inside a recorded call", so a method that reaches another patched one
(``.stream()`` helpers, parse paths in some SDK versions) gives one record, not two. ``hilt.suppress()``
sets it to :data:`SUPPRESSED`, so a suppressed call costs that same one read and is never recorded.

Each record gets its capture mode at the start of the call: the innermost ``hilt.conversation`` that
sets ``capture_content``, else the setting. Extractors capture text for ``full`` and ``hash`` (the
pipeline turns hash-mode texts into keyed hashes), none for ``metadata``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from .._context import current_conversation
from .._record import STATUS_CANCELLED, STATUS_ERROR, CallRecord
from .._safety import guard, is_cancellation
from ._raw import follow_streaming_response
from ._streams import StreamObserver, observe_async_stream, observe_sync_stream
from ._targets import PatchTarget

__all__ = ["SUPPRESSED", "Recorder", "inside_recorded_call"]

SUPPRESSED = object()
"""The value of :data:`inside_recorded_call` inside ``hilt.suppress()`` (truthy: calls pass straight through)."""
inside_recorded_call: ContextVar[object] = ContextVar("hilt_inside_recorded_call", default=False)
ERROR_MESSAGE_OMITTED = "(message not recorded: capture_content is metadata)"

_RECORD_REQUEST = guard("record a request")
_RECORD_RESPONSE = guard("record a response")
_READ_RESPONSE = guard("read a response")
_RECORD_ERROR = guard("record an error")
_SELECT = guard("select the arguments to record")


class Recorder:
    """Builds the wrappers for a pipeline.

    ``pipeline`` and ``capture_content`` (the capture mode of the settings: ``"full"``, ``"metadata"``
    or ``"hash"``) may be swapped by a later ``instrument()``; ``provider`` is the provider module
    (:mod:`hilt.providers.openai`: its extractors, client description and error reader).
    """

    def __init__(self, pipeline: Any, capture_content: str = "full") -> None:
        self.pipeline = pipeline
        self.capture_content = capture_content
        self._plain_types: set[type] = set()
        from ..providers import openai as provider

        self.provider = provider

    def make_wrapper(self, target: PatchTarget) -> Callable[..., Any]:
        """The ``wrapt`` wrapper for one target (an ``async def`` for async methods)."""
        if target.extractor == "lowlevel":  # the client's own request(), dispatched by path
            from ._lowlevel import make_lowlevel_wrapper

            return make_lowlevel_wrapper(self, target.is_async)
        extractor = self.provider.EXTRACTORS[target.extractor]
        endpoint = target.endpoint
        record_sync, record_async = self.record_sync, self.record_async
        select = extractor.select
        is_async = target.is_async

        if is_async:

            async def async_wrapper(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
                if inside_recorded_call.get():
                    return await wrapped(*args, **kwargs)
                captured = kwargs if select is None else _selected(select, args, kwargs)
                if captured is None:
                    return await wrapped(*args, **kwargs)
                return await record_async(extractor, endpoint, instance, captured, wrapped, args, kwargs)

            return async_wrapper

        def wrapper(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
            if inside_recorded_call.get():
                return wrapped(*args, **kwargs)
            captured = kwargs if select is None else _selected(select, args, kwargs)
            if captured is None:
                return wrapped(*args, **kwargs)
            return record_sync(extractor, endpoint, instance, captured, wrapped, args, kwargs)

        return wrapper

    def record_sync(
        self, extractor: Any, endpoint: str, instance: Any, captured: dict, call: Any, args: tuple, kwargs: dict
    ) -> Any:
        """Record ``call(*args, **kwargs)``: the prompt before it, the reply (or the error, re-raised) after it."""
        record = self._begin(extractor, endpoint, instance, captured)
        token = inside_recorded_call.set(True)
        try:
            result = call(*args, **kwargs)
        except BaseException as exc:
            inside_recorded_call.reset(token)
            self._fail(record, exc)
            raise
        inside_recorded_call.reset(token)
        return self._succeed(extractor, record, result, False)

    async def record_async(
        self, extractor: Any, endpoint: str, instance: Any, captured: dict, call: Any, args: tuple, kwargs: dict
    ) -> Any:
        """:meth:`record_sync` for a coroutine function ``call``."""
        record = self._begin(extractor, endpoint, instance, captured)
        token = inside_recorded_call.set(True)
        try:
            result = await call(*args, **kwargs)
        except BaseException as exc:
            inside_recorded_call.reset(token)
            self._fail(record, exc)
            raise
        inside_recorded_call.reset(token)
        return self._succeed(extractor, record, result, True)

    # _begin and _succeed run on every call: ``try`` + ``guard.failed`` (free) rather than ``with guard``.

    def _begin(self, extractor: Any, endpoint: str, instance: Any, kwargs: dict) -> CallRecord | None:
        try:
            provider, server = self.provider.describe_client(instance)
            context = current_conversation.get()
            mode = self.capture_content if context is None or context.capture_content is None else context.capture_content
            record = CallRecord(endpoint=endpoint, provider=provider, server=server, started_ns=0, capture_mode=mode)
            extractor.capture_request(record, kwargs, mode != "metadata")
            self.pipeline.begin(record)
            record.started_ns = time.perf_counter_ns()
            return record
        except Exception as exc:
            _RECORD_REQUEST.failed(exc)
            return None

    def _fail(self, record: CallRecord | None, exc: BaseException) -> None:
        if record is None:
            return
        with _RECORD_ERROR:
            record.ended_ns = time.perf_counter_ns()
            record.status = STATUS_CANCELLED if is_cancellation(exc) else STATUS_ERROR
            record.error = exc
            self._fill_error(record, exc)
            self.pipeline.end(record)

    def _fill_error(self, record: CallRecord, exc: BaseException) -> None:
        """The error fields; in metadata mode without the message, which may echo the prompt."""
        self.provider.fill_error(record, exc)
        if record.capture_mode == "metadata" and record.error_message:
            record.error_message = ERROR_MESSAGE_OMITTED

    def _succeed(self, extractor: Any, record: CallRecord | None, result: Any, is_async: bool = False) -> Any:
        if record is None:
            return result
        try:
            record.ended_ns = time.perf_counter_ns()
            record.status_code = 200
            if type(result) not in self._plain_types:
                raw = self.provider.raw_kind(result)
                if raw is not None:
                    return self._succeed_raw(extractor, record, result, raw, is_async)
            if self._observe(extractor, record, result):
                return result
            self._capture(extractor, record, result)
            self.pipeline.end(record)
        except Exception as exc:
            _RECORD_RESPONSE.failed(exc)
        return result

    def _capture(self, extractor: Any, record: CallRecord, response: Any) -> None:
        """Fill the response side of ``record``. A reply HILT cannot read is still recorded (status, latency,
        whatever was read before the fault), marked ``extensions.capture_failed``, so the call is never lost."""
        try:
            extractor.capture_response(record, response, record.capture_mode != "metadata")
        except Exception as exc:
            record.response_extras["capture_failed"] = type(exc).__name__
            _READ_RESPONSE.failed(exc)

    def _succeed_raw(self, extractor: Any, record: CallRecord, result: Any, raw: str, is_async: bool) -> Any:
        record.status_code = getattr(result, "status_code", 200)
        record.request_id = getattr(result, "request_id", None)
        record.response_extras["raw_response"] = raw
        if raw == "raw":
            # LegacyAPIResponse.parse() is cached: the application's own .parse() gets the same object.
            parsed = result.parse()
            if self._observe(extractor, record, parsed):
                return result
            self._capture(extractor, record, parsed)
        elif self._follow(extractor, record, result, is_async):
            return result
        self.pipeline.end(record)
        return result

    def _follow(self, extractor: Any, record: CallRecord, result: Any, is_async: bool) -> bool:
        """A ``with_streaming_response`` result: record it when the application reads it (never read here)."""

        def on_parsed(parsed: Any) -> None:
            if not self._observe(extractor, record, parsed):
                record.ended_ns = time.perf_counter_ns()  # the body was read by parse()
                self._capture(extractor, record, parsed)
                self.pipeline.end(record)

        def on_unread() -> None:
            record.response_extras["body_not_parsed"] = True
            self.pipeline.end(record)

        return follow_streaming_response(result, is_async, on_parsed, on_unread)

    def _observe(self, extractor: Any, record: CallRecord, result: Any) -> bool:
        """Attach a stream observer when ``result`` is a stream; True if it was one.

        The type of a reply found to be ordinary (not a stream, not raw: checked before) is remembered,
        so that the next reply of that type, the usual case, is recognised with one set lookup.
        """
        if not record.stream and type(result) in self._plain_types:
            return False
        provider = self.provider
        if not (provider.is_sync_stream(result) or provider.is_async_stream(result)):
            if not record.stream:
                if len(self._plain_types) < 64:
                    self._plain_types.add(type(result))
                return False
            # Another instrumentor below HILT may hand back its own wrapper holding the SDK stream.
            result = _inner_stream(provider, result)
            if result is None:
                return False
        observe = observe_sync_stream if provider.is_sync_stream(result) else observe_async_stream
        record.stream_started = True
        observer = StreamObserver(record, extractor.new_accumulator(), self._finish_stream)
        from ._stream_usage import feed_hidden_usage  # stream_usage: the usage chunk hidden from the app

        feed_hidden_usage(result, observer)
        if not observe(result, observer):
            record.response_extras["stream_not_observed"] = True
            self.pipeline.end(record)
        return True

    def _finish_stream(self, record: CallRecord, accumulator: Any) -> None:
        try:
            accumulator.apply(record, record.capture_mode != "metadata")
        except Exception as exc:  # as in _capture: the stream's call is still recorded
            record.response_extras["capture_failed"] = type(exc).__name__
            _READ_RESPONSE.failed(exc)
        if record.error is not None:  # the status of the failure, not the 200 the headers carried
            self._fill_error(record, record.error)
        self.pipeline.end(record)


def _selected(select: Any, args: tuple, kwargs: dict) -> dict | None:
    """The arguments an extractor wants recorded, or None (pass through); a fault records nothing."""
    with _SELECT:
        return select(args, kwargs)
    return None


_STREAM_HOLDERS = ("__wrapped__", "stream", "_stream", "wrapped")


def _inner_stream(provider: Any, wrapper: Any) -> Any:
    """The SDK stream inside another library's stream wrapper, or None."""
    for name in _STREAM_HOLDERS:
        inner = getattr(wrapper, name, None)
        if inner is not None and (provider.is_sync_stream(inner) or provider.is_async_stream(inner)):
            return inner
    return None
