"""Responses API: request → prompt fields, ``Response`` → completion fields, and a stream accumulator.

Covers ``responses.create``/``parse`` (and ``beta.responses.create``), plain and streamed, and the
resume path ``responses.retrieve(stream=True)`` used by ``responses.stream(response_id=...)``.
"""

from __future__ import annotations

from typing import Any

from ..._record import STATUS_ERROR, CallRecord
from ._common import fields_of, get, is_given, items, str_or_none, text_of_content
from ._message_copies import message_copies
from ._params import capture_preamble
from ._redact import TextBuffer, jsonable
from ._usage import read_usage
from ._history import input_history, output_answer

__all__ = [
    "ResponsesStreamAccumulator",
    "capture_request",
    "capture_response",
    "capture_resume_request",
    "select_resume",
]

_NOT_PARAMS = frozenset({"input", "instructions", "extra_headers", "extra_query", "extra_body", "timeout"})
_FINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


def capture_request(record: CallRecord, kwargs: dict[str, Any], capture_content: bool) -> None:
    """Fill the request side of ``record`` from the keyword arguments of ``create``/``parse``."""
    capture_preamble(record, kwargs, _NOT_PARAMS, capture_content)
    previous = kwargs.get("previous_response_id")
    if isinstance(previous, str):
        record.previous_response_id = previous
    conversation = kwargs.get("conversation")
    conversation_id = conversation if isinstance(conversation, str) else get(conversation, "id")
    if isinstance(conversation_id, str) and conversation_id:
        record.conversation_id = conversation_id
    record.history = input_history(kwargs.get("input"))  # a resent history threads like chat messages
    if not capture_content:
        return
    instructions = kwargs.get("instructions")
    if isinstance(instructions, str):
        record.prompt_content["instructions"] = jsonable(instructions)
    given = kwargs.get("input")
    if isinstance(given, str):
        record.prompt_text = jsonable(given)
    elif isinstance(given, (list, tuple)):
        record.prompt_content["input"] = message_copies(given)
        record.prompt_text = _last_user_text(given)
    elif given is not None and is_given(given):
        # a generator or other one-shot iterable belongs to the SDK: never consume it
        record.params["input_not_captured"] = type(given).__name__


def _last_user_text(items: Any) -> str | None:
    for item in reversed(items):
        if get(item, "role") == "user":
            text = text_of_content(get(item, "content"))
            return jsonable(text) if text is not None else None
    return None


def select_resume(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """``retrieve`` is recorded only with ``stream=True``; the id may be positional (async resume)."""
    if kwargs.get("stream") is not True:
        return None
    if args and "response_id" not in kwargs:
        return {**kwargs, "response_id": args[0]}
    return kwargs


def capture_resume_request(record: CallRecord, kwargs: dict[str, Any], capture_content: bool) -> None:
    """The request side of a resumed stream: it continues the conversation of ``response_id``."""
    record.stream = True
    record.response_extras["resumed"] = True
    response_id = kwargs.get("response_id")
    if isinstance(response_id, str):
        record.previous_response_id = response_id
        record.params["response_id"] = response_id
    starting_after = kwargs.get("starting_after")
    if isinstance(starting_after, int):
        record.params["starting_after"] = starting_after


def capture_response(record: CallRecord, response: Any, capture_content: bool) -> None:
    """Fill the response side of ``record`` from a ``Response`` (or ``ParsedResponse``/``BetaResponse``)."""
    fields = fields_of(response)  # read by key: a missed attribute on a pydantic model is slow
    record.response_id = str_or_none(fields.get("id"))
    record.response_model = str_or_none(fields.get("model"))
    if record.response_extras.get("resumed"):
        # replaying a stored response bills nothing: its usage belongs to the call that created it
        record.response_extras["resumed_usage"] = read_usage(fields.get("usage"))
    else:
        record.tokens = read_usage(fields.get("usage"))
    tier = fields.get("service_tier")
    if isinstance(tier, str):
        record.response_extras["service_tier"] = tier
    request_id = fields.get("_request_id")
    if isinstance(request_id, str):
        record.request_id = request_id
    status = fields.get("status")
    if isinstance(status, str) and status != "completed":
        record.response_extras["response_status"] = status
        reason = get(fields.get("incomplete_details"), "reason")
        if isinstance(reason, str):
            record.finish_reasons = [reason]
    error = fields.get("error")
    if error is not None and status == "failed":
        record.status = STATUS_ERROR
        record.error_code = str_or_none(get(error, "code"))
        record.error_message = str_or_none(get(error, "message"))
        record.error_type = "ResponseFailed"
    output = fields.get("output")
    summary = summarize_output(output)
    record.answer_message = output_answer(output)
    if not capture_content:
        return
    _apply_summary(record, summary)
    parsed = _output_parsed(response)
    if parsed is not None:
        record.completion_content["parsed"] = parsed


def _output_parsed(response: Any) -> Any:
    if not isinstance(getattr(type(response), "output_parsed", None), property):  # only ParsedResponse has it
        return None
    try:
        parsed = response.output_parsed
    except Exception:
        return None
    return jsonable(parsed) if parsed is not None else None


def summarize_output(output: Any) -> dict[str, Any]:
    """Text, tool calls, refusals and reasoning summaries of a response's ``output`` items."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    reasoning: list[str] = []
    refusals: list[str] = []
    for item in output if isinstance(output, list) else ():
        kind = get(item, "type")
        if kind == "message":
            for part in items(get(item, "content")):
                part_type = get(part, "type")
                if part_type not in ("output_text", "refusal"):
                    continue
                text = get(part, "text") if part_type == "output_text" else get(part, "refusal")
                if isinstance(text, str):
                    (texts if part_type == "output_text" else refusals).append(text)
        elif kind == "reasoning":
            for part in items(get(item, "summary")):
                text = get(part, "text")
                if isinstance(text, str):
                    reasoning.append(text)
        elif kind in ("function_call", "custom_tool_call"):
            calls.append(
                {
                    "id": str_or_none(get(item, "call_id")),
                    "type": kind,
                    "name": str_or_none(get(item, "name")),
                    "arguments": str_or_none(get(item, "arguments") if kind == "function_call" else get(item, "input")),
                }
            )
        elif isinstance(kind, str) and kind.endswith("_call"):
            calls.append({"id": get(item, "id"), "type": kind, "status": get(item, "status")})
    summary: dict[str, Any] = {}
    if texts:
        summary["text"] = "".join(texts)
    if calls:
        summary["tool_calls"] = calls
    if reasoning:
        summary["reasoning"] = reasoning
    if refusals:
        summary["refusal"] = "".join(refusals)
    return summary


def _apply_summary(record: CallRecord, summary: dict[str, Any]) -> None:
    if "text" in summary:
        record.completion_text = jsonable(summary["text"])
    for key in ("tool_calls", "reasoning", "refusal"):
        if key in summary:
            record.completion_content[key] = jsonable(summary[key])


class ResponsesStreamAccumulator:
    """Collects a Responses API stream, event by event, without keeping the events.

    The final ``response.completed`` (or ``incomplete``/``failed``) event carries the whole response with
    usage, so it is read like a non-streamed one; the text deltas are kept only for a stream that ends
    before it (closed early, or broken).
    """

    __slots__ = ("_texts", "_final", "_id", "_model", "_error")

    def __init__(self) -> None:
        self._texts = TextBuffer()
        self._final: Any = None
        self._id: str | None = None
        self._model: str | None = None
        self._error: Any = None

    def add(self, event: Any) -> bool:
        """Take one event; return True if it carried output (text or tool-call arguments)."""
        kind = getattr(event, "type", None)
        if kind == "response.output_text.delta":
            delta = getattr(event, "delta", None)
            if isinstance(delta, str) and delta:
                self._texts.add(delta)
                return True
            return False
        if kind == "response.function_call_arguments.delta":
            return True
        if kind in _FINAL_EVENTS:
            self._final = getattr(event, "response", None)
        elif kind == "response.created":
            response = getattr(event, "response", None)
            self._id = getattr(response, "id", None)
            self._model = getattr(response, "model", None)
        elif kind == "error":
            self._error = event
        return False

    def apply(self, record: CallRecord, capture_content: bool) -> None:
        """Write what was collected into ``record``."""
        if self._final is not None:
            capture_response(record, self._final, capture_content)
        else:
            record.response_id = str_or_none(self._id)
            record.response_model = str_or_none(self._model)
            text = self._texts.text()
            record.answer_message = {"role": "assistant", "content": text or None}
            if capture_content and text:
                record.completion_text = text
        if self._texts.truncated:
            record.response_extras["content_truncated"] = True
        if self._error is not None and record.error is None:
            record.status = STATUS_ERROR
            record.error_type = "ResponseStreamError"
            record.error_code = str_or_none(getattr(self._error, "code", None))
            record.error_message = str_or_none(getattr(self._error, "message", None))
