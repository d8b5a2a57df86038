"""Legacy Completions (``client.completions.create``): prompt, choices' text, usage, and streams."""

from __future__ import annotations

from typing import Any

from ..._record import CallRecord
from ._common import get, index_of, items
from ._params import capture_preamble
from ._redact import TextBuffer, jsonable
from ._usage import read_usage

__all__ = ["CompletionStreamAccumulator", "capture_request", "capture_response"]

_NOT_PARAMS = frozenset({"prompt", "extra_headers", "extra_query", "extra_body", "timeout"})


def capture_request(record: CallRecord, kwargs: dict[str, Any], capture_content: bool) -> None:
    """Fill the request side of ``record`` from the keyword arguments of ``completions.create``."""
    capture_preamble(record, kwargs, _NOT_PARAMS, capture_content)
    if not capture_content:
        return
    prompt = kwargs.get("prompt")
    if isinstance(prompt, str):
        record.prompt_text = jsonable(prompt)
    elif isinstance(prompt, (list, tuple)) and prompt and all(isinstance(p, str) for p in prompt):
        record.prompt_content["prompts"] = [jsonable(p) for p in prompt]
    elif isinstance(prompt, (list, tuple)):
        record.params["prompt_kind"] = "token_ids"


def capture_response(record: CallRecord, response: Any, capture_content: bool) -> None:
    """Fill the response side of ``record`` from a ``Completion``."""
    model, response_id = get(response, "model"), get(response, "id")
    record.response_model = model if isinstance(model, str) else None
    record.response_id = response_id if isinstance(response_id, str) else None
    record.tokens = read_usage(get(response, "usage"))
    request_id = get(response, "_request_id")
    if isinstance(request_id, str):
        record.request_id = request_id
    choices = get(response, "choices")
    if not isinstance(choices, list) or not choices:
        return
    texts = {index_of(get(c, "index", 0)): get(c, "text") for c in choices}
    reasons = {index_of(get(c, "index", 0)): get(c, "finish_reason") for c in choices}
    _apply(record, texts, reasons, capture_content)


def _apply(record: CallRecord, texts: dict[int, Any], reasons: dict[int, Any], capture_content: bool) -> None:
    indexes = sorted(set(texts) | set(reasons))
    record.finish_reasons = [reasons[i] for i in indexes if isinstance(reasons.get(i), str)]
    first = texts.get(indexes[0]) if indexes else None
    record.answer_message = {"role": "assistant", "content": first if isinstance(first, str) else None}
    if not capture_content:
        return
    if isinstance(first, str):
        record.completion_text = jsonable(first)
    if len(indexes) > 1:
        record.completion_content["choices"] = [
            {k: v for k, v in (("index", i), ("text", jsonable(texts.get(i))), ("finish_reason", reasons.get(i))) if v is not None}
            for i in indexes
        ]


class CompletionStreamAccumulator:
    """Collects a legacy completions stream, chunk by chunk, without keeping the chunks."""

    __slots__ = ("_texts", "_finish", "_id", "_model", "_usage")

    def __init__(self) -> None:
        self._texts: dict[int, TextBuffer] = {}
        self._finish: dict[int, str] = {}
        self._id: str | None = None
        self._model: str | None = None
        self._usage: Any = None

    def add(self, chunk: Any) -> bool:
        """Take one chunk; return True if it carried text."""
        if self._id is None:
            self._id = getattr(chunk, "id", None)
            self._model = getattr(chunk, "model", None)
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self._usage = usage
        produced = False
        for choice in items(getattr(chunk, "choices", None)):
            index = getattr(choice, "index", 0) or 0
            text = getattr(choice, "text", None)
            buffer = self._texts.get(index)
            if buffer is None:
                buffer = self._texts[index] = TextBuffer()
            if text:
                produced = True
                buffer.add(text)
            reason = getattr(choice, "finish_reason", None)
            if reason:
                self._finish[index] = reason
        return produced

    def apply(self, record: CallRecord, capture_content: bool) -> None:
        """Write what was collected into ``record``."""
        record.response_id = self._id if isinstance(self._id, str) else None
        record.response_model = self._model if isinstance(self._model, str) else None
        record.tokens = read_usage(self._usage)
        texts = {index: buffer.text() for index, buffer in self._texts.items()}
        _apply(record, texts, dict(self._finish), capture_content)
        if any(buffer.truncated for buffer in self._texts.values()):
            record.response_extras["content_truncated"] = True
