"""Chat Completions: request → prompt fields, response → completion fields, and a stream accumulator."""

from __future__ import annotations

from typing import Any

from ..._record import CallRecord
from ._common import fields_of, get, index_of, str_or_none, text_of_content
from ._message_copies import message_copies
from ._params import capture_preamble
from ._redact import TextBuffer, cap_text, jsonable
from ._usage import read_usage

__all__ = ["ChatStreamAccumulator", "capture_request", "capture_response"]

# Request keywords that are plumbing, not part of what the user asked the model.
_NOT_PARAMS = frozenset({"messages", "extra_headers", "extra_query", "extra_body", "timeout"})


def capture_request(record: CallRecord, kwargs: dict[str, Any], capture_content: bool) -> None:
    """Fill the request side of ``record`` from the keyword arguments of ``create``/``parse``."""
    capture_preamble(record, kwargs, _NOT_PARAMS, capture_content)
    messages = kwargs.get("messages")
    if not isinstance(messages, (list, tuple)):
        # a generator or other one-shot iterable belongs to the SDK: never consume it
        record.params["messages_not_captured"] = type(messages).__name__
        return
    history = record.history = list(messages)
    if not capture_content:
        return
    # the same list as record.history: threading then reuses the copies' comparison of the history
    record.prompt_content["messages"] = message_copies(history, wrap=True)
    for message in reversed(messages):
        if (message.get("role") if type(message) is dict else get(message, "role")) == "user":
            content = message.get("content") if type(message) is dict else get(message, "content")
            text = content if type(content) is str else text_of_content(content)
            record.prompt_text = cap_text(text) if text is not None else None
            break


def capture_response(record: CallRecord, response: Any, capture_content: bool) -> None:
    """Fill the response side of ``record`` from a ``ChatCompletion`` (or ``ParsedChatCompletion``)."""
    fields = fields_of(response)  # read by key: a missed attribute on a pydantic model is slow
    model, response_id = fields.get("model"), fields.get("id")  # str_or_none, inline (per call)
    record.response_model = model if isinstance(model, str) else None
    record.response_id = response_id if isinstance(response_id, str) else None
    usage = fields.get("usage")
    if usage is not None:
        record.tokens = read_usage(usage)
    for name in ("system_fingerprint", "service_tier"):
        value = fields.get(name)
        if isinstance(value, str):
            record.response_extras[name] = value
    request_id = fields.get("_request_id")
    if isinstance(request_id, str):
        record.request_id = request_id
    choices = fields.get("choices")
    if not isinstance(choices, list) or not choices:
        return
    if len(choices) == 1:  # the usual reply, without comprehensions (each is a function call before Python 3.12)
        first = _choice_summary(choices[0])
        summaries = [first]
        reason = first.get("finish_reason")
        record.finish_reasons = [reason] if reason else []
    else:
        summaries = [_choice_summary(choice) for choice in choices]
        record.finish_reasons = [s["finish_reason"] for s in summaries if s.get("finish_reason")]
        first = summaries[0]
    record.answer_message = answer_message(first)
    if capture_content:
        _apply_summaries(record, summaries)


def answer_message(summary: dict[str, Any]) -> dict[str, Any]:
    """The assistant message a client appends to its history, in the SDK's shape (for conversation threading)."""
    calls = summary.get("tool_calls")
    return {
        "role": "assistant",
        "content": summary.get("text"),
        "tool_calls": [
            {"id": c["id"], "type": c["type"], "function": {"name": c["name"], "arguments": c["arguments"]}} for c in calls
        ]
        if calls
        else [],
    }


def _apply_summaries(record: CallRecord, summaries: list[dict[str, Any]]) -> None:
    first = summaries[0]
    text = first.get("text")
    record.completion_text = cap_text(text) if text is not None else None
    if first.get("tool_calls"):
        record.completion_content["tool_calls"] = jsonable(first["tool_calls"])
    if first.get("refusal"):
        record.completion_content["refusal"] = jsonable(first["refusal"])
    if first.get("parsed") is not None:
        record.completion_content["parsed"] = first["parsed"]
    if len(summaries) > 1:
        record.completion_content["choices"] = jsonable(summaries)


def _choice_summary(choice: Any) -> dict[str, Any]:
    fields = fields_of(choice)
    message_object = fields.get("message")
    message = fields_of(message_object)
    index = fields.get("index", 0)  # index_of(), items() and text_of_content()'s common case inline (per call)
    summary: dict[str, Any] = {"index": index if type(index) is int else 0}
    reason = fields.get("finish_reason")
    if isinstance(reason, str):
        summary["finish_reason"] = reason
    content = message.get("content")
    text = content if type(content) is str else text_of_content(content)
    if text is not None:
        summary["text"] = text
    calls = message.get("tool_calls")
    if calls and (type(calls) is list or type(calls) is tuple):
        summary["tool_calls"] = [_tool_call(c) for c in calls]
    refusal = message.get("refusal")
    if refusal:
        summary["refusal"] = refusal
    if type(message_object).__name__.startswith("Parsed"):  # only parse() results have it
        parsed = message.get("parsed")
        if parsed is not None:
            summary["parsed"] = jsonable(parsed)
    return summary


def _tool_call(call: Any) -> dict[str, Any]:
    function = get(call, "function")
    return {
        "id": str_or_none(get(call, "id")),
        "type": str_or_none(get(call, "type")) or "function",
        "name": str_or_none(get(function, "name")),
        "arguments": str_or_none(get(function, "arguments")),
    }


class ChatStreamAccumulator:
    """Collects what a chat stream said, chunk by chunk, without keeping the chunks."""

    __slots__ = ("_texts", "_first", "_tool_calls", "_finish", "_model", "_id", "_usage", "_extras")

    def __init__(self) -> None:
        self._texts: dict[int, TextBuffer] = {}
        self._first: TextBuffer | None = None  # self._texts[0], read on every chunk
        self._tool_calls: dict[tuple[int, int], dict[str, Any]] = {}
        self._finish: dict[int, str] = {}
        self._model: str | None = None
        self._id: str | None = None
        self._usage: Any = None
        self._extras: dict[str, str] = {}

    def add(self, chunk: Any) -> bool:
        """Take one chunk; return True if it carried output (text or a tool call), for time to first token."""
        if self._id is not None:
            # Most chunks of a stream: one choice at index 0 whose delta is a piece of text and nothing
            # else. Read with plain attribute access (an SDK model has every field); anything else,
            # or a missing field, goes the general way below.
            try:
                choices = chunk.choices
                if type(choices) is list and len(choices) == 1 and chunk.usage is None:
                    choice = choices[0]
                    delta = choice.delta
                    text = delta.content
                    index = choice.index
                    if (
                        type(text) is str and text and index == 0 and type(index) is int
                        and delta.tool_calls is None and choice.finish_reason is None
                    ):
                        buffer = self._first
                        if buffer is not None:
                            if buffer.chars <= buffer.limit:  # TextBuffer.add, inline
                                buffer.parts.append(text)
                            buffer.chars += len(text)
                            return True
            except AttributeError:
                pass
        return self._add(chunk)

    def _add(self, chunk: Any) -> bool:
        if self._id is None:
            self._id = getattr(chunk, "id", None)
            self._model = getattr(chunk, "model", None)
            for name in ("system_fingerprint", "service_tier"):
                value = getattr(chunk, name, None)
                if isinstance(value, str):
                    self._extras[name] = value
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self._usage = usage
        # This runs for every chunk: the checks of items()/index_of() are written inline.
        choices = getattr(chunk, "choices", None)
        if type(choices) is not list and type(choices) is not tuple:
            return False
        produced = False
        for choice in choices:
            index = getattr(choice, "index", 0)
            if type(index) is not int:  # anything odd counts as 0, as index_of() says
                index = 0
            delta = getattr(choice, "delta", None)
            text = getattr(delta, "content", None)
            if text:
                if type(text) is not str:  # an odd server: keep what it said, as text
                    text = str(text)
                produced = True
                buffer = self._texts.get(index)
                if buffer is None:
                    buffer = self._texts[index] = TextBuffer()
                    if index == 0:
                        self._first = buffer
                buffer.add(text)
            calls = getattr(delta, "tool_calls", None)
            if (type(calls) is list or type(calls) is tuple) and calls:
                produced = True
                self._add_tool_calls(index, calls)
            reason = getattr(choice, "finish_reason", None)
            if reason and type(reason) is str:
                self._finish[index] = reason
        return produced

    def _add_tool_calls(self, choice_index: int, calls: Any) -> None:
        for call in calls:
            key = (choice_index, index_of(getattr(call, "index", 0)))
            entry = self._tool_calls.get(key)
            if entry is None:
                entry = self._tool_calls[key] = {"id": None, "type": "function", "name": None, "arguments": TextBuffer()}
            if str_or_none(getattr(call, "id", None)):
                entry["id"] = call.id
            function = getattr(call, "function", None)
            if str_or_none(getattr(function, "name", None)):
                entry["name"] = function.name
            arguments = getattr(function, "arguments", None)
            if arguments and type(arguments) is str:  # may be None in a delta
                entry["arguments"].add(arguments)

    def apply(self, record: CallRecord, capture_content: bool) -> None:
        """Write what was collected into ``record``."""
        record.response_id = str_or_none(self._id)
        record.response_model = str_or_none(self._model)
        record.response_extras.update(self._extras)
        record.tokens = read_usage(self._usage)
        indexes = sorted(set(self._texts) | set(self._finish) | {i for i, _ in self._tool_calls}) or [0]
        summaries = []
        for index in indexes:
            summary: dict[str, Any] = {"index": index}
            buffer = self._texts.get(index)
            text = buffer.text() if buffer is not None else ""
            calls = self._calls_of(index)
            summary["text"] = text if text or index not in self._finish or not calls else None
            if calls:
                summary["tool_calls"] = calls
            if index in self._finish:
                summary["finish_reason"] = self._finish[index]
            summaries.append({k: v for k, v in summary.items() if v is not None})
        record.finish_reasons = [s["finish_reason"] for s in summaries if "finish_reason" in s]
        first = summaries[0]
        record.answer_message = answer_message(first)
        buffers = [*self._texts.values(), *(call["arguments"] for call in self._tool_calls.values())]
        if any(buffer.truncated for buffer in buffers):
            record.response_extras["content_truncated"] = True
        if capture_content:
            _apply_summaries(record, summaries)

    def _calls_of(self, index: int) -> list[dict[str, Any]]:
        calls = [call for (choice, _), call in sorted(self._tool_calls.items()) if choice == index]
        return [{**call, "arguments": call["arguments"].text()} for call in calls]
