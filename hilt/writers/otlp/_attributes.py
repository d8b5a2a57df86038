"""HILT events → GenAI span attributes (pure functions over event dicts; no OpenTelemetry import).

Everything the span needs is already in the events: the operation from ``provenance.endpoint``,
server address and port from ``provenance.server``, request parameters from ``extensions.params``,
usage, cost and status from the completion event. Events are read-only here.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from . import _semconv as sc

__all__ = [
    "completion_attributes",
    "event_time_ns",
    "metric_attributes",
    "operation_of",
    "request_attributes",
    "sampling_attributes",
    "span_name",
]

# HILT's own conversation ids (``conv_`` + a UUIDv7 in hex): made up by HILT, not supplied by the application
_HILT_CONVERSATION_ID = re.compile(r"conv_[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}")
_TOKEN_ATTRIBUTES = (
    ("prompt", sc.INPUT_TOKENS),
    ("completion", sc.OUTPUT_TOKENS),
    ("cached", sc.CACHE_READ_TOKENS),
    ("cache_write", sc.CACHE_CREATION_TOKENS),
    ("reasoning", sc.REASONING_TOKENS),
)
_FAILED = frozenset({"error", "cancelled"})


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def operation_of(event: dict[str, Any]) -> str:
    """``gen_ai.operation.name`` for the endpoint an event came from (``chat`` when unknown)."""
    endpoint = _dict(event.get("provenance")).get("endpoint")
    if isinstance(endpoint, str):
        return sc.OPERATIONS.get(endpoint.rpartition(".")[0], "chat")
    return "chat"


def span_name(operation: str, model: Any) -> str:
    """``{gen_ai.operation.name} {gen_ai.request.model}``, or the operation alone without a model."""
    return f"{operation} {model}" if isinstance(model, str) and model else operation


def event_time_ns(event: dict[str, Any]) -> int | None:
    """The event's ``timestamp`` in nanoseconds since the epoch (``None`` when missing or unreadable)."""
    stamp = event.get("timestamp")
    if not isinstance(stamp, str):
        return None
    try:
        moment = datetime.fromisoformat(stamp[:-1] + "+00:00" if stamp.endswith("Z") else stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def _server(event: dict[str, Any]) -> tuple[str | None, int | None]:
    server = _dict(event.get("provenance")).get("server")
    if not isinstance(server, str) or not server:
        return None, None
    host, _, port = server.rpartition(":")
    if host and port.isdigit():
        return host.strip("[]"), int(port)
    return server, None


_providers: dict[str, str] = {}


def _provider(host: str | None) -> str:
    """``gen_ai.provider.name`` for a server host (cached per host: it is checked on every call)."""
    if not host:
        return "openai"
    provider = _providers.get(host)
    if provider is None:
        lowered = host.lower()
        provider = next((p for domain, p in sc.PROVIDER_HOSTS if lowered == domain or lowered.endswith("." + domain)), "openai")
        if len(_providers) < 1024:
            _providers[host] = provider
    return provider


def sampling_attributes(event: dict[str, Any]) -> dict[str, Any]:
    """What the conventions ask to set when the span starts (samplers read them): from the prompt event."""
    host, port = _server(event)
    attributes: dict[str, Any] = {sc.OPERATION_NAME: operation_of(event), sc.PROVIDER_NAME: _provider(host)}
    model = _dict(event.get("extensions")).get("model")
    if isinstance(model, str) and model:
        attributes[sc.REQUEST_MODEL] = model
    if host:
        attributes[sc.SERVER_ADDRESS] = host
    if port is not None:
        attributes[sc.SERVER_PORT] = port
    return attributes


def request_attributes(event: dict[str, Any], capture_content: bool) -> dict[str, Any]:
    """The rest of the prompt event's attributes: stream flag, parameters, conversation, HILT ids, input content."""
    extensions = _dict(event.get("extensions"))
    params = _dict(extensions.get("params"))
    attributes: dict[str, Any] = {}
    if extensions.get("stream") is True:
        attributes[sc.REQUEST_STREAM] = True
    _add_params(attributes, params)
    conversation = _application_conversation_id(event, params)
    if conversation:
        attributes[sc.CONVERSATION_ID] = conversation
    attributes[sc.HILT_SESSION_ID] = str(event.get("session_id", ""))
    attributes[sc.HILT_PROMPT_EVENT_ID] = str(event.get("event_id", ""))
    endpoint = _dict(event.get("provenance")).get("endpoint")
    if isinstance(endpoint, str):
        attributes[sc.HILT_ENDPOINT] = endpoint
    metadata = extensions.get("metadata")
    if metadata:
        _add_metadata(attributes, _dict(metadata))
    rate = extensions.get("sample_rate")
    if isinstance(rate, (int, float)) and not isinstance(rate, bool):
        attributes[sc.HILT_SAMPLE_RATE] = float(rate)
    if capture_content:
        _add_input_content(attributes, _dict(event.get("content")), operation_of(event))
    return attributes


def _add_metadata(attributes: dict[str, Any], metadata: dict[str, Any]) -> None:
    """``hilt.metadata.<key>`` per value OpenTelemetry can carry (string, number, boolean)."""
    for key, value in metadata.items():
        if isinstance(value, (str, int, float, bool)):
            attributes[sc.HILT_METADATA_PREFIX + str(key)] = value


def _add_params(attributes: dict[str, Any], params: dict[str, Any]) -> None:
    for key, name in sc.REQUEST_PARAMS.items():
        value = params.get(key)
        if value is None or isinstance(value, (dict, list)) and not value:
            continue
        if name in ("gen_ai.request.stop_sequences", "gen_ai.request.encoding_formats"):
            value = [value] if isinstance(value, str) else value
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                attributes[name] = value
        elif isinstance(value, (int, float, str)) and not isinstance(value, bool):
            if key == "n" and value == 1:
                continue
            attributes[name] = value
    response_format = params.get("response_format") or _dict(params.get("text")).get("format")
    kind = _dict(response_format).get("type")
    if kind in ("json_object", "json_schema"):
        attributes[sc.OUTPUT_TYPE] = "json"
    elif kind == "text":
        attributes[sc.OUTPUT_TYPE] = "text"


def _application_conversation_id(event: dict[str, Any], params: dict[str, Any]) -> str | None:
    """The conversation id when the application supplied it (``hilt.conversation(id=...)``, Responses
    ``conversation``); ``None`` for the ids HILT makes up, as the conventions forbid generated ids."""
    conversation = params.get("conversation")
    if isinstance(conversation, dict):
        conversation = conversation.get("id")
    if isinstance(conversation, str) and conversation:
        return conversation
    session = event.get("session_id")
    if isinstance(session, str) and session and not _HILT_CONVERSATION_ID.fullmatch(session):
        return session
    return None


def completion_attributes(event: dict[str, Any], capture_content: bool) -> dict[str, Any]:
    """The attributes known when the call ended: from the completion or system event."""
    extensions = _dict(event.get("extensions"))
    metrics = _dict(event.get("metrics"))
    attributes: dict[str, Any] = {sc.HILT_COMPLETION_EVENT_ID: str(event.get("event_id", ""))}
    model = extensions.get("model")
    if isinstance(model, str) and model and event.get("action") == "completion":
        attributes[sc.RESPONSE_MODEL] = model
    for key, name in (
        ("response_id", sc.RESPONSE_ID),
        ("request_id", sc.HILT_REQUEST_ID),
        ("status", sc.HILT_STATUS),
        ("service_tier", sc.OPENAI_RESPONSE_SERVICE_TIER),
        ("system_fingerprint", sc.OPENAI_SYSTEM_FINGERPRINT),
    ):
        value = extensions.get(key)
        if isinstance(value, str) and value:
            attributes[name] = value
    reasons = extensions.get("finish_reasons")
    if isinstance(reasons, list) and reasons:
        attributes[sc.RESPONSE_FINISH_REASONS] = [str(r) for r in reasons]
    elif extensions.get("status") == "error":
        attributes[sc.RESPONSE_FINISH_REASONS] = ["error"]
    _add_usage(attributes, metrics, extensions)
    ttft = metrics.get("ttft_ms")
    if isinstance(ttft, (int, float)) and not isinstance(ttft, bool):
        attributes[sc.RESPONSE_TIME_TO_FIRST_CHUNK] = ttft / 1000
    status_code = extensions.get("status_code")
    if type(status_code) is int:
        attributes[sc.HTTP_STATUS_CODE] = status_code
    if extensions.get("status") in _FAILED:
        error_type = extensions.get("error_type")
        attributes[sc.ERROR_TYPE] = error_type if isinstance(error_type, str) and error_type else sc.ERROR_TYPE_OTHER
    if _dict(event.get("actor")).get("id") == "azure":
        attributes[sc.PROVIDER_NAME] = sc.AZURE_PROVIDER
    if capture_content and event.get("action") == "completion":
        _add_output_content(attributes, _dict(event.get("content")), reasons)
    return attributes


def _add_usage(attributes: dict[str, Any], metrics: dict[str, Any], extensions: dict[str, Any]) -> None:
    """Token counts the server reported (never invented) and HILT's price for them."""
    tokens = _dict(metrics.get("tokens"))
    for key, name in _TOKEN_ATTRIBUTES:
        value = tokens.get(key)
        if type(value) is int:
            attributes[name] = value
    cost = metrics.get("cost_usd")
    if isinstance(cost, (int, float)) and not isinstance(cost, bool):
        attributes[sc.HILT_COST_USD] = float(cost)
    cost_status = extensions.get("cost_status") or ("ok" if cost is not None else None)
    if isinstance(cost_status, str):
        attributes[sc.HILT_COST_STATUS] = cost_status


def metric_attributes(span_attributes: dict[str, Any]) -> dict[str, Any]:
    """The low-cardinality subset the conventions put on the GenAI metrics."""
    keys = (sc.OPERATION_NAME, sc.PROVIDER_NAME, sc.REQUEST_MODEL, sc.RESPONSE_MODEL, sc.SERVER_ADDRESS, sc.SERVER_PORT, sc.ERROR_TYPE)
    return {key: span_attributes[key] for key in keys if key in span_attributes}


# --- message content in the conventions' JSON shape (role + typed parts) ---------------------------


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    if isinstance(content, list):
        for part in content:
            part = _dict(part)
            if part.get("type") in ("text", "input_text", "output_text") and isinstance(part.get("text"), str):
                parts.append({"type": "text", "content": part["text"]})
            elif part.get("type"):
                parts.append({"type": str(part["type"])})
    return parts


def _tool_call_parts(calls: Any) -> list[dict[str, Any]]:
    parts = []
    for call in calls if isinstance(calls, list) else ():
        call = _dict(call)
        function = _dict(call.get("function"))
        arguments = function.get("arguments", call.get("arguments"))
        parts.append({"type": "tool_call", "id": call.get("id"), "name": function.get("name", call.get("name")), "arguments": arguments})
    return parts


def _message(message: dict[str, Any]) -> dict[str, Any]:
    """A Chat Completions message or a Responses input item → ``{"role", "parts"}``."""
    kind = message.get("type")
    if kind == "function_call_output":
        return {"role": "tool", "parts": [{"type": "tool_call_response", "id": message.get("call_id"), "response": message.get("output")}]}
    if kind == "function_call":
        return {"role": "assistant", "parts": [{"type": "tool_call", "id": message.get("call_id"), "name": message.get("name"), "arguments": message.get("arguments")}]}
    role = message.get("role") or "user"
    if role == "tool":
        return {"role": "tool", "parts": [{"type": "tool_call_response", "id": message.get("tool_call_id"), "response": message.get("content")}]}
    return {"role": role, "parts": _parts(message.get("content")) + _tool_call_parts(message.get("tool_calls"))}


def _add_input_content(attributes: dict[str, Any], content: dict[str, Any], operation: str) -> None:
    """Chat ``messages`` or Responses ``input`` items, else the prompt text; Responses ``instructions`` apart.
    Embeddings inputs are not messages: they are left out."""
    messages = content.get("messages")
    if not (isinstance(messages, list) and messages) and operation != "embeddings":
        messages = content.get("input")
    if isinstance(messages, list) and messages and all(isinstance(m, dict) for m in messages):
        converted = [_message(_dict(m)) for m in messages]
    elif isinstance(content.get("text"), str) and operation != "embeddings":
        converted = [{"role": "user", "parts": [{"type": "text", "content": content["text"]}]}]
    else:
        converted = []
    if converted:
        attributes[sc.INPUT_MESSAGES] = _json(converted)
    instructions = content.get("instructions")
    if isinstance(instructions, str) and instructions:
        attributes[sc.SYSTEM_INSTRUCTIONS] = _json([{"type": "text", "content": instructions}])


def _add_output_content(attributes: dict[str, Any], content: dict[str, Any], reasons: Any) -> None:
    reasons = reasons if isinstance(reasons, list) else []
    choices = content.get("choices")
    if isinstance(choices, list) and choices:
        sources = [_dict(choice) for choice in choices]
    elif "text" in content or "tool_calls" in content:
        sources = [content]
    else:
        return
    messages = []
    for index, source in enumerate(sources):
        message = _dict(source.get("message")) or source
        text = message.get("text", message.get("content"))
        parts = _parts(text) + _tool_call_parts(message.get("tool_calls"))
        reason = source.get("finish_reason") or (reasons[index] if index < len(reasons) else None)
        messages.append({"role": "assistant", "parts": parts, "finish_reason": reason or "stop"})
    attributes[sc.OUTPUT_MESSAGES] = _json(messages)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
