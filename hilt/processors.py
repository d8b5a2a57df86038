"""The steps a call record goes through, in order (rendering the events is :mod:`hilt._format`'s job).

Request phase, before the request is sent: :func:`merge_context` → :meth:`ConversationThreader.link`.
Response phase: :class:`CostCalculator` → :meth:`ConversationThreader.remember`. Each step is a small
callable over a :class:`~hilt._record.CallRecord`; the pipeline runs them, guarding each one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._context import current_context
from ._conversations import ConversationLinker, extend_digest, new_conversation_id, prefix_digests
from ._format import render_completion as build_completion_event  # noqa: F401  (former home, kept importable)
from ._format import render_prompt as build_prompt_event  # noqa: F401
from ._record import STATUS_OK, CallRecord
from .pricing import ModelRates, PriceBook

__all__ = ["ConversationThreader", "CostCalculator", "merge_context"]


def merge_context(record: CallRecord) -> None:
    """Copy the active :func:`hilt.conversation` (id, user, tags, metadata) onto the record."""
    context = current_context()
    if context is None:
        return
    record.conversation_id = context.id
    record.user = context.user
    record.tags = context.tags
    record.metadata = dict(context.metadata)


class ConversationThreader:
    """Gives each call a conversation id: the bound one, else the one its history continues, else a new one."""

    def __init__(self, linker: ConversationLinker | None = None) -> None:
        self.linker = linker or ConversationLinker()

    def link(self, record: CallRecord) -> None:
        """Request phase: find the conversation the request continues."""
        if record.history:
            record.prompt_digests = prefix_digests(record.history)
        if record.conversation_id:
            return
        found = None
        if record.previous_response_id:
            found = self.linker.find_key(record.previous_response_id)
        if found is None and record.prompt_digests:
            found = self.linker.find(record.history or [], record.prompt_digests)
        record.conversation_id = found or new_conversation_id()

    def remember(self, record: CallRecord) -> None:
        """Response phase: remember history + answer, and the response id, for the calls that follow."""
        conversation_id = record.conversation_id
        if not conversation_id or record.status != STATUS_OK:
            return
        if record.prompt_digests and record.answer_message is not None:
            self.linker.remember(extend_digest(record.prompt_digests[-1], record.answer_message), conversation_id)
        if record.response_id:
            self.linker.remember_key(record.response_id, conversation_id)


class CostCalculator:
    """Prices the call from its tokens: response model first, then request model."""

    def __init__(self, overrides: Mapping[str, ModelRates | Mapping[str, Any]] | None = None) -> None:
        self.book = PriceBook(overrides)

    def __call__(self, record: CallRecord) -> None:
        if not record.tokens:
            record.cost_status = "no_usage" if record.status == STATUS_OK else None
            return
        priced = self.book.price((record.response_model, record.request_model), record.tokens)
        record.cost_usd, record.cost_status = priced.cost_usd, priced.status
