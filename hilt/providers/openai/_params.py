"""The request preamble every extractor shares: model, stream flag and the recorded parameters.

With ``capture_content=False`` no user or model text may reach the log, so parameters are filtered
by an allow-list: a parameter known to hold only settings is kept, one known to hold text is reduced
to its non-text parts (tool names, format names, template ids) or dropped, and a parameter HILT does
not know (a newer SDK) is dropped too. Dropped names are listed in ``params.content_omitted``. The
table of rules is in ``docs/events.md``; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..._record import CallRecord
from ._common import get, is_given
from ._redact import jsonable

__all__ = ["CONTENT_OMITTED", "SETTINGS_PARAMS", "capture_preamble"]

CONTENT_OMITTED = "content_omitted"
"""Key of ``params`` listing the parameters left out because content capture is off."""

SETTINGS_PARAMS = frozenset(
    {
        # sampling and limits
        "model", "stream", "stream_options", "temperature", "top_p", "n", "seed", "stop",
        "max_tokens", "max_completion_tokens", "max_output_tokens", "max_tool_calls",
        "frequency_penalty", "presence_penalty", "logit_bias", "logprobs", "top_logprobs", "best_of", "echo",
        # tools and reasoning (names only: the tool definitions are reduced below)
        "tool_choice", "parallel_tool_calls", "function_call", "reasoning", "reasoning_effort", "verbosity",
        # routing, storage, identifiers
        "service_tier", "store", "user", "safety_identifier", "prompt_cache_key", "prompt_cache_retention",
        "modalities", "audio", "include", "truncation", "background", "conversation", "previous_response_id",
        "dimensions", "encoding_format", "response_id", "starting_after", "text_format",
    }
)  # fmt: skip
"""Parameters that carry settings, never user or model text: kept when content capture is off."""


def _tool_names(value: Any) -> Any:
    if not isinstance(value, list):
        return None
    tools = []
    for tool in value:
        kind, function = get(tool, "type"), get(tool, "function")
        name = get(function, "name") or get(tool, "name") or get(tool, "server_label")
        tools.append({k: v for k, v in (("type", kind), ("name", name)) if isinstance(v, str)})
    return tools


def _format_name(value: Any) -> Any:
    """``{"type": "json_schema", "name": ...}`` of a response format (a class name string is kept)."""
    if isinstance(value, str):
        return value
    kind, schema = get(value, "type"), get(value, "json_schema")
    name = get(schema, "name") or get(value, "name")
    return {k: v for k, v in (("type", kind), ("name", name)) if isinstance(v, str)}


def _text_config(value: Any) -> Any:
    verbosity = get(value, "verbosity")
    config = {"format": _format_name(get(value, "format"))} if get(value, "format") is not None else {}
    if isinstance(verbosity, str):
        config["verbosity"] = verbosity
    return config


def _prompt_reference(value: Any) -> Any:
    """A Responses prompt template: its id and version, not its variables."""
    return {k: get(value, k) for k in ("id", "version") if isinstance(get(value, k), str)}


def _web_search(value: Any) -> Any:
    size = get(value, "search_context_size")
    return {"search_context_size": size} if isinstance(size, str) else {}


_REDUCED: dict[str, Callable[[Any], Any]] = {
    "tools": _tool_names,
    "functions": _tool_names,
    "response_format": _format_name,
    "text": _text_config,
    "prompt": _prompt_reference,
    "web_search_options": _web_search,
}
"""Parameters that mix settings and text: only their settings are kept when content capture is off."""


def capture_preamble(
    record: CallRecord, kwargs: dict[str, Any], not_params: frozenset[str], capture_content: bool
) -> None:
    """Model, stream flag and ``params`` (every argument except ``not_params``), filtered when content is off.

    A key that is not an identifier is no SDK parameter but another instrumentor's private marker, passed
    between its own wrappers (ddtrace's ``_dd.with_raw_response``): it is left out.
    """
    model = kwargs.get("model")
    record.request_model = model if type(model) is str else None
    record.stream = kwargs.get("stream") is True
    if capture_content:
        record.params = {
            k: jsonable(v) for k, v in kwargs.items() if k not in not_params and is_given(v) and k.isidentifier()
        }
        return
    params: dict[str, Any] = {}
    omitted: list[str] = []
    for key, value in kwargs.items():
        if key in not_params or not is_given(value) or not key.isidentifier():
            continue
        if key in SETTINGS_PARAMS:
            params[key] = jsonable(value)
        elif key in _REDUCED:
            params[key] = _REDUCED[key](jsonable(value))
        else:
            omitted.append(key)
    if omitted:
        params[CONTENT_OMITTED] = omitted
    record.params = params
