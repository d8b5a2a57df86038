"""Runs the processor chain over call records and fans the events out to the writers.

Every step and every writer is guarded: a failure is reported once on the ``hilt`` logger and the
call goes on. The pipeline is provider-neutral; extractors fill the record before it gets here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from ._record import CallRecord
from ._safety import report_exception
from ._trace_context import stamp_trace_ids
from .processors import ConversationThreader, CostCalculator, build_completion_event, build_prompt_event, merge_context

__all__ = ["Pipeline"]

Step = Callable[[CallRecord], None]


class Pipeline:
    """``begin(record)`` writes the prompt event; ``end(record)`` writes the completion or error event."""

    def __init__(
        self,
        writers: Sequence[Any],
        *,
        capture_content: bool = True,
        prices: Any = None,
    ) -> None:
        self.writers = list(writers)
        self.capture_content = capture_content
        self.threader = ConversationThreader()
        self.cost = CostCalculator(prices)
        self.request_steps: list[Step] = [merge_context, self.threader.link]
        self.response_steps: list[Step] = [self.cost, self.threader.remember]
        self._closed = False
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Start loading price data in the background; called on the first request."""
        self.cost.book.warm_up()

    def begin(self, record: CallRecord) -> None:
        """Request phase: run the request steps and write the prompt event."""
        for step in self.request_steps:
            try:
                step(record)
            except Exception as exc:
                report_exception(f"run {getattr(step, '__name__', type(step).__name__)}", exc)
        self.emit(build_prompt_event(record))

    def end(self, record: CallRecord) -> None:
        """Response phase: run the response steps and write the completion (or system) event."""
        for step in self.response_steps:
            try:
                step(record)
            except Exception as exc:
                report_exception(f"run {getattr(step, '__name__', type(step).__name__)}", exc)
        self.emit(build_completion_event(record))

    def emit(self, event: dict[str, Any]) -> None:
        """Hand one event to every writer."""
        stamp_trace_ids(event, self.writers)
        for writer in self.writers:
            try:
                writer.write(event)
            except Exception as exc:
                report_exception(f"write an event with {writer!r}", exc)

    def close(self) -> None:
        """Flush and close every writer (idempotent). A call still in flight reopens its writer when it ends."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for writer in self.writers:
            try:
                writer.close()
            except Exception as exc:
                report_exception(f"close {writer!r}", exc)
