"""Sampling by conversation: keep a stable share of whole conversations, and every failed call.

The decision depends on the conversation id alone (the first 8 bytes of its BLAKE2b digest read as a
fraction of 2**64, compared with the rate), so every process, thread and restart decides the same way
for one conversation, and a kept conversation is kept whole.
"""

from __future__ import annotations

import hashlib

from ._record import STATUS_ERROR, CallRecord

__all__ = ["Sampler", "is_failure", "keeps_conversation"]

_SCALE = float(1 << 64)


def keeps_conversation(conversation_id: str, rate: float) -> bool:
    """Whether the conversation ``conversation_id`` is in the sample at ``rate`` (0 to 1)."""
    digest = hashlib.blake2b(conversation_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE < rate


def is_failure(record: CallRecord) -> bool:
    """A call that failed (an exception, or an HTTP error status): always kept, whatever the sample."""
    return record.status == STATUS_ERROR or (record.status_code or 0) >= 400


class Sampler:
    """Decides, per call, whether its events are written (see the module docstring)."""

    __slots__ = ("rate",)

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def keeps(self, record: CallRecord) -> bool:
        """Whether the call's conversation is in the sample (a call without a conversation id is kept)."""
        conversation_id = record.conversation_id
        return not conversation_id or keeps_conversation(conversation_id, self.rate)
