"""Embeddings: the input text and the token count; the vectors are never read into the log."""

from __future__ import annotations

from typing import Any

from ..._record import CallRecord
from ._common import fields_of, get
from ._params import capture_preamble
from ._redact import jsonable
from ._usage import read_usage

__all__ = ["capture_request", "capture_response", "NoStream"]

_NOT_PARAMS = frozenset({"input", "extra_headers", "extra_query", "extra_body", "timeout"})


def capture_request(record: CallRecord, kwargs: dict[str, Any], capture_content: bool) -> None:
    """Fill the request side of ``record`` from the keyword arguments of ``embeddings.create``."""
    capture_preamble(record, kwargs, _NOT_PARAMS, capture_content)
    value = kwargs.get("input")
    if isinstance(value, (list, tuple)):
        token_ids = bool(value) and isinstance(value[0], int)
        record.params["input_count"] = 1 if token_ids else len(value)
        if token_ids or (value and isinstance(value[0], (list, tuple))):
            record.params["input_kind"] = "token_ids"  # no text to show
    if not capture_content:
        return
    if isinstance(value, str):
        record.prompt_text = jsonable(value)
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        record.prompt_content["input"] = [jsonable(v) for v in value]


def capture_response(record: CallRecord, response: Any, capture_content: bool) -> None:
    """Usage, model and the shape of the result (count, dimensions), not the vectors."""
    fields = fields_of(response)  # read by key: a missed attribute on a pydantic model is slow
    model = fields.get("model")
    record.response_model = model if isinstance(model, str) else None
    record.tokens = read_usage(fields.get("usage"))
    request_id = fields.get("_request_id")
    if isinstance(request_id, str):
        record.request_id = request_id
    data = fields.get("data")
    if isinstance(data, list):
        record.response_extras["embeddings"] = len(data)
        vector = get(data[0], "embedding") if data else None
        if isinstance(vector, list):
            record.response_extras["dimensions"] = len(vector)


class NoStream:
    """Embeddings never stream; present for the extractor interface."""

    def add(self, chunk: Any) -> bool:
        return False

    def apply(self, record: CallRecord, capture_content: bool) -> None:
        return None
