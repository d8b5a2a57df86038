"""Runs the processor steps over call records, renders the events and fans them out to the writers.

Every step and every writer is guarded (:class:`hilt._safety.guard`): a failure is reported once on
the ``hilt`` logger and the call goes on. The pipeline is provider-neutral; extractors fill the record
before it gets here, and :mod:`hilt._format` turns it into events.

A pipeline closed by ``uninstrument()`` writes nothing more: a call still in flight when it closed (a
stream the application is still reading) loses its completion event, with a DEBUG line on the ``hilt``
logger, rather than reopening a writer that nobody would close again. At interpreter exit the writers
are closed too, but a stream finalised afterwards still writes its event (the process is ending).

Before a rendered event reaches any writer, the privacy step (:mod:`hilt.privacy`) runs on it when a
redactor is configured or the call is in ``hash`` capture mode: texts are redacted, or hashed, on a
copy; if that step fails, the event is not written (fail closed). With ``sample_rate`` below 1, the
events of a call whose conversation is out of the sample are not written, unless the call fails: then
its held (already protected) prompt event is written with its error event.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._format import render_completion, render_prompt
from ._record import CallRecord
from ._safety import guard, logger
from ._sampling import Sampler, is_failure
from ._trace_context import TRACE_MODULE, stamp_trace_ids
from .processors import ConversationThreader, CostCalculator, merge_context

__all__ = ["Pipeline"]

Step = Callable[[CallRecord], None]


_PROTECT = guard("redact an event (it was not written)")


def _protector(redactor: Any) -> Any:
    from .privacy import EventProtector

    return EventProtector(redactor)


def _guarded(steps: Sequence[tuple[str, Step]]) -> tuple[tuple[guard, Step], ...]:
    return tuple((guard(f"run {name}"), step) for name, step in steps)


class Pipeline:
    """``begin(record)`` writes the prompt event; ``end(record)`` writes the completion or error event."""

    def __init__(
        self,
        writers: Sequence[Any],
        *,
        prices: Any = None,
        metadata: Mapping[str, Any] | None = None,
        sample_rate: float = 1.0,
        redactor: Any = None,
    ) -> None:
        self.writers = list(writers)
        self.metadata = dict(metadata or {})  # the ``metadata`` setting, under each conversation's own
        self.sampler = Sampler(sample_rate) if sample_rate < 1.0 else None
        self.threader = ConversationThreader()
        self.cost = CostCalculator(prices)
        self._request_steps = _guarded([("merge_context", merge_context), ("link", self.threader.link)])
        self._response_steps = _guarded([("CostCalculator", self.cost), ("remember", self.threader.remember)])
        self._render_prompt = guard("render the prompt event")
        self._render_completion = guard("render the completion event")
        # Redacts (and, for a call in hash mode, hashes) events before any writer sees them; None: no
        # redactor, and a call in hash mode uses _hash_only.
        self.privacy = _protector(redactor) if redactor is not None else None
        self._hash_only: Any = None
        self.closed = False
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Start loading price data in the background (returns at once)."""
        self.cost.book.warm_up()

    # begin and end run on every LLM call: ``try`` + ``guard.failed`` instead of ``with guard`` (see
    # guard.failed), and the steps are written out rather than looped over (fewer Python-level steps).

    def begin(self, record: CallRecord) -> None:
        """Request phase: run the request steps and write the prompt event."""
        (context_guard, context), (link_guard, link) = self._request_steps
        try:
            context(record)
        except Exception as exc:
            context_guard.failed(exc)
        if self.metadata:
            record.metadata = {**self.metadata, **record.metadata}  # a copy: a later step may edit an event
        try:
            link(record)
        except Exception as exc:
            link_guard.failed(exc)
        try:
            event = render_prompt(record)
        except Exception as exc:
            self._render_prompt.failed(exc)
            return
        if self.privacy is not None or record.capture_mode == "hash":
            event = self._protect(event, record)
            if event is None:
                return
        if self.sampler is not None and self._hold(record, event):
            return
        self.emit(event)

    def _hold(self, record: CallRecord, event: dict[str, Any]) -> bool:
        """Sampling: mark ``event`` with the rate; True when the call is out of the sample (its prompt is held)."""
        sampler = self.sampler
        record.sample_rate = sampler.rate
        event["extensions"]["sample_rate"] = sampler.rate
        if sampler.keeps(record):
            return False
        record.held_prompt = event
        return True

    def end(self, record: CallRecord) -> None:
        """Response phase: run the response steps and write the completion (or system) event."""
        (cost_guard, cost), (remember_guard, remember) = self._response_steps
        try:
            cost(record)
        except Exception as exc:
            cost_guard.failed(exc)
        try:
            remember(record)
        except Exception as exc:
            remember_guard.failed(exc)
        held = record.held_prompt
        if held is not None and not is_failure(record):
            return  # out of the sample, and it did not fail: neither event is written
        try:
            event = render_completion(record)
        except Exception as exc:
            self._render_completion.failed(exc)
            return
        if record.sample_rate is not None:
            event["extensions"]["sample_rate"] = record.sample_rate
        if self.privacy is not None or record.capture_mode == "hash":
            event = self._protect(event, record)
            if event is None:
                return
        if held is not None:
            record.held_prompt = None
            self.emit(held)
        self.emit(event)

    def _protect(self, event: dict[str, Any], record: CallRecord) -> dict[str, Any] | None:
        """The event redacted (and hashed in ``hash`` mode); ``None`` (nothing written) if that failed: fail closed."""
        protector = self.privacy
        if protector is None:
            protector = self._hash_only = self._hash_only or _protector(None)
        try:
            return protector.protect(event, record.capture_mode == "hash")  # type: ignore[no-any-return]
        except Exception as exc:
            _PROTECT.failed(exc)
            return None

    def emit(self, event: dict[str, Any]) -> None:
        """Hand one event to every writer (nothing once the pipeline is closed)."""
        if self.closed:
            logger.debug("HILT dropped a %s event of a call that ended after uninstrument()", event.get("action"))
            return
        if TRACE_MODULE in sys.modules:  # else no span can be active: nothing to stamp
            stamp_trace_ids(event, self.writers)
        for writer in self.writers:
            try:
                writer.write(event)
            except Exception as exc:
                guard(f"write an event with {writer!r}").failed(exc)

    def close(self, *, final: bool = True) -> None:
        """Flush and close every writer (idempotent); later events are dropped, see the module docstring.

        ``final=False`` (at interpreter exit) lets a stream finalised after this still write its event.
        """
        with self._lock:
            if self.closed:
                return
            self.closed = final
        for writer in self.writers:
            with guard(f"close {writer!r}"):
                writer.close()
