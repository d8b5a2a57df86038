"""One usage reader for every endpoint shape, with one validity rule for every count."""

from __future__ import annotations

from typing import Any

import pytest
from openai._models import construct_type
from openai.types import CompletionUsage, CreateEmbeddingResponse

from hilt.providers.openai._usage import read_usage

CHAT = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
        "prompt_tokens_details": {"cached_tokens": 4}, "completion_tokens_details": {"reasoning_tokens": 2}}  # fmt: skip
RESPONSES = {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15,
             "input_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 3},
             "output_tokens_details": {"reasoning_tokens": 2}}  # fmt: skip
EMBEDDINGS = {"prompt_tokens": 3, "total_tokens": 3}


def _response_usage_type() -> Any:
    try:
        from openai.types.responses import ResponseUsage
    except ImportError:
        return None
    return ResponseUsage


def _shapes(body: dict[str, Any]) -> list[Any]:
    """The same usage as a plain dict and as every SDK model that can hold it."""
    shapes: list[Any] = [body, construct_type(type_=CompletionUsage, value=body)]
    shapes.append(construct_type(type_=CreateEmbeddingResponse.model_fields["usage"].annotation, value=body))
    if _response_usage_type() is not None:
        shapes.append(construct_type(type_=_response_usage_type(), value=body))
    return shapes


@pytest.mark.parametrize("index", range(4))
def test_every_shape_reads_the_same_counts(index: int) -> None:
    """Chat, Responses and embeddings usage read as dicts or as any SDK model give the same HILT counts."""
    for body, expected in (
        (CHAT, {"prompt": 10, "completion": 5, "total": 15, "cached": 4, "reasoning": 2}),
        (RESPONSES, {"prompt": 10, "completion": 5, "total": 15, "cached": 4, "cache_write": 3, "reasoning": 2}),
        (EMBEDDINGS, {"prompt": 3, "total": 3}),
    ):
        shapes = _shapes(body)
        if index < len(shapes):
            assert read_usage(shapes[index]) == expected


@pytest.mark.parametrize("bad", [-1, True, 3.0, "3", None])
def test_invalid_counts_are_left_out_the_same_way_everywhere(bad: Any) -> None:
    """A negative, boolean, float, string or missing count is left out for every shape; the total falls back to the sum."""
    for body in (
        {**CHAT, "completion_tokens": bad, "total_tokens": bad, "prompt_tokens_details": {"cached_tokens": bad}},
        {
            **RESPONSES,
            "output_tokens": bad,
            "total_tokens": bad,
            "input_tokens_details": {"cached_tokens": bad, "cache_write_tokens": bad},
        },
    ):
        # SDK models coerce True, 3.0 and "3" to ints when they are built; a negative count stays as sent
        shapes = _shapes(body) if bad == -1 and bad is not True else [body]
        for shape in shapes:
            assert read_usage(shape) == {"prompt": 10, "total": 10, "reasoning": 2}, type(shape).__name__


def test_details_an_older_sdk_does_not_declare_are_read_from_extras() -> None:
    """Details that a model class does not declare (kept as pydantic extras, as openai 1.26 does) are still read."""
    usage_type = CreateEmbeddingResponse.model_fields["usage"].annotation  # declares no details
    usage = construct_type(type_=usage_type, value={**EMBEDDINGS, "prompt_tokens_details": {"cached_tokens": 1}})
    assert read_usage(usage) == {"prompt": 3, "total": 3, "cached": 1}


def test_no_usage_means_no_counts() -> None:
    """None, an empty dict and an object without fields give no counts (never zeros)."""
    assert read_usage(None) == read_usage({}) == read_usage(object()) == {}


def test_every_endpoint_applies_the_same_rule() -> None:
    """Chat, legacy completions, embeddings and Responses results with a negative count all leave it out."""
    from openai.types import Completion, CreateEmbeddingResponse
    from openai.types.chat import ChatCompletion

    from hilt._record import CallRecord
    from hilt.providers.openai import EXTRACTORS

    negative = {"prompt_tokens": 10, "completion_tokens": -1, "total_tokens": -1}
    results = {
        "chat": construct_type(type_=ChatCompletion, value={"id": "c", "model": "m", "choices": [], "usage": negative}),
        "completions": construct_type(
            type_=Completion, value={"id": "c", "model": "m", "choices": [], "usage": negative}
        ),
        "embeddings": construct_type(
            type_=CreateEmbeddingResponse,
            value={"model": "m", "data": [], "usage": {"prompt_tokens": 10, "total_tokens": -1}},
        ),
    }
    if _response_usage_type() is not None:
        from openai.types.responses import Response

        usage = {"input_tokens": 10, "output_tokens": -1, "total_tokens": -1}
        results["responses"] = construct_type(
            type_=Response, value={"id": "r", "model": "m", "output": [], "usage": usage}
        )
    for endpoint, result in results.items():
        record = CallRecord(endpoint=endpoint, provider="openai", started_ns=0)
        EXTRACTORS[endpoint].capture_response(record, result, True)
        assert record.tokens == {"prompt": 10, "total": 10}, endpoint
