"""``CallRecord``: everything HILT learns about one LLM call, filled in as the call progresses.

The wrapper creates it before the request goes out (request side), the provider extractors fill the
response side, and the pipeline turns it into events. It knows nothing about OpenAI's shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CallRecord", "STATUS_CANCELLED", "STATUS_ERROR", "STATUS_INCOMPLETE", "STATUS_OK"]

STATUS_OK = "ok"
STATUS_ERROR = "error"
STATUS_CANCELLED = "cancelled"
STATUS_INCOMPLETE = "incomplete"


@dataclass(eq=False, slots=True)
class CallRecord:
    """One call: request fields, then response fields, then derived fields (cost, conversation)."""

    # request side
    endpoint: str
    provider: str
    started_ns: int
    request_model: str | None = None
    prompt_text: str | None = None
    prompt_content: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    history: list[Any] | None = None
    server: str | None = None
    stream: bool = False
    stream_started: bool = False
    conversation_id: str | None = None
    user: str | None = None
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    prompt_event_id: str | None = None
    prompt_digests: list[int] | None = None
    previous_response_id: str | None = None
    capture_mode: str = "full"  # "full", "metadata" (no text) or "hash" (texts replaced by keyed hashes)
    sample_rate: float | None = None  # set when sampling is on (the events carry it)
    held_prompt: dict[str, Any] | None = None  # a sampled-out call's prompt event, written only if the call fails

    # response side
    status: str = STATUS_OK
    status_code: int | None = None
    response_model: str | None = None
    response_id: str | None = None
    completion_text: str | None = None
    completion_content: dict[str, Any] = field(default_factory=dict)
    answer_message: dict[str, Any] | None = None
    finish_reasons: list[str] | None = None
    tokens: dict[str, int] = field(default_factory=dict)
    response_extras: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    error: BaseException | None = None
    error_type: str | None = None
    error_message: str | None = None
    error_code: str | None = None
    ended_ns: int | None = None
    first_token_ns: int | None = None

    # derived
    cost_usd: float | None = None
    cost_status: str | None = None
