"""Reply bodies and SSE frames of the fake OpenAI server (pure functions, no I/O).

Token rule (deterministic, so tests can compute expectations):

* ``words(s) = len(s.split())``.
* ``prompt_tokens`` / ``input_tokens`` = words of all request text + 3 per message.
  Request text is: each chat ``messages[i].content`` (a string, or the ``text`` of
  each part of a content list); responses ``instructions`` plus ``input`` (a string,
  or per item its ``content`` as above and a string ``output``); legacy ``prompt``;
  embeddings ``input``. A token-id list counts one token per id. "Messages" are the
  entries of chat ``messages`` and of a responses ``input`` list (a string ``input``
  adds no +3).
* ``completion_tokens`` / ``output_tokens`` = words of what the model emits: the reply
  text, or the tool-call ``arguments`` instead when a tool call is returned; times
  ``n`` for chat and legacy completions.
* ``total_tokens`` = prompt + completion. ``x-fake-cached-tokens`` and
  ``x-fake-reasoning-tokens`` only fill the details fields; they change no count.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import uuid
from dataclasses import dataclass
from typing import Any

# Frame kinds: HEAD frames come before any content, CONTENT frames carry text or
# argument pieces, TAIL frames close the stream. Faults fire at a CONTENT/TAIL frame.
HEAD, CONTENT, TAIL = 0, 1, 2

Frame = tuple[int, bytes]

STREAM_ERROR_MESSAGE = "stream exploded"


@dataclass(frozen=True)
class ReplyOptions:
    """Per-request reply settings, resolved from constructor options and headers."""

    text: str
    model: str
    chunk_size: int = 1
    tool_call: str | None = None
    tool_arguments: str = '{"city": "Paris"}'
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    usage: bool = True
    created: int = 0


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:24]


def words(text: str) -> int:
    return len(text.split())


def split_pieces(text: str, chunk_size: int = 1) -> list[str]:
    """Split text into pieces of ``chunk_size`` words whose concatenation is ``text``."""
    pieces = re.findall(r"\s*\S+", text)
    rest = text[sum(map(len, pieces)):]
    if not pieces:
        return [text] if text else []
    pieces[-1] += rest
    size = max(1, chunk_size)
    return ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)]


def _content_words(content: Any) -> int:
    if isinstance(content, str):
        return words(content)
    if isinstance(content, list):
        return sum(words(p["text"]) for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return 0


def _input_words(value: Any) -> int:
    """Words of a prompt/embeddings input: str, list[str], list[int] or list[list[int]]."""
    if isinstance(value, str):
        return words(value)
    if isinstance(value, list):
        return sum(1 if isinstance(v, int) else _input_words(v) for v in value)
    return 0


def prompt_tokens(endpoint: str, payload: dict[str, Any]) -> int:
    """Prompt tokens of a request per the module's token rule."""
    if endpoint == "chat":
        messages = payload.get("messages") or []
        return sum(_content_words(m.get("content")) + 3 for m in messages if isinstance(m, dict))
    if endpoint == "responses":
        total = words(payload["instructions"]) if isinstance(payload.get("instructions"), str) else 0
        items = payload.get("input")
        if isinstance(items, str):
            return total + words(items)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                total += 3 + _content_words(item.get("content"))
                if isinstance(item.get("output"), str):
                    total += words(item["output"])
        return total
    if endpoint == "completions":
        return _input_words(payload.get("prompt"))
    return _input_words(payload.get("input"))


MAX_CHOICES = 128  # the API's own limit on ``n``


def _n(payload: dict[str, Any]) -> int:
    """How many choices to answer with: ``n`` when it is a sane count (a fuzzed ``n = 2**70`` must not build
    that many), else 1."""
    n = payload.get("n")
    return min(n, MAX_CHOICES) if type(n) is int and n > 0 else 1


def _emitted(opts: ReplyOptions) -> str:
    return opts.tool_arguments if opts.tool_call else opts.text


def chat_usage(prompt: int, completion: int, opts: ReplyOptions) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": opts.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": opts.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _service_tier(payload: dict[str, Any]) -> str:
    tier = payload.get("service_tier")
    return tier if tier in ("flex", "priority", "scale", "default") else "default"


def sse(data: Any, event: str | None = None) -> bytes:
    line = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {line}\n\n".encode()


def stream_error_frame() -> bytes:
    error = {"message": STREAM_ERROR_MESSAGE, "type": "server_error", "param": None, "code": None}
    return sse({"error": error})


# --- chat completions -------------------------------------------------------------


def _tool_call(opts: ReplyOptions, arguments: str, call_id: str | None = None) -> dict[str, Any]:
    return {
        "id": call_id or new_id("call_"),
        "type": "function",
        "function": {"name": opts.tool_call, "arguments": arguments},
    }


def chat_completion(payload: dict[str, Any], opts: ReplyOptions) -> dict[str, Any]:
    n = _n(payload)
    choices = []
    for index in range(n):
        message: dict[str, Any] = {"role": "assistant", "content": opts.text, "refusal": None, "annotations": []}
        if opts.tool_call:
            message["content"] = None
            message["tool_calls"] = [_tool_call(opts, opts.tool_arguments)]
        choices.append(
            {
                "index": index,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if opts.tool_call else "stop",
            }
        )
    body: dict[str, Any] = {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": opts.created,
        "model": opts.model,
        "choices": choices,
        "service_tier": _service_tier(payload),
        "system_fingerprint": "fp_fake",
    }
    if opts.usage:
        body["usage"] = chat_usage(prompt_tokens("chat", payload), n * words(_emitted(opts)), opts)
    return body


def _include_usage(payload: dict[str, Any], opts: ReplyOptions) -> bool:
    stream_options = payload.get("stream_options")
    return opts.usage and isinstance(stream_options, dict) and stream_options.get("include_usage") is True


def chat_frames(payload: dict[str, Any], opts: ReplyOptions) -> list[Frame]:
    """SSE frames of a streamed chat completion, ending with ``data: [DONE]``."""
    n, include_usage = _n(payload), _include_usage(payload, opts)
    base = {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion.chunk",
        "created": opts.created,
        "model": opts.model,
        "service_tier": _service_tier(payload),
        "system_fingerprint": "fp_fake",
    }

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
        body = {**base, "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        if include_usage:
            body["usage"] = None
        return sse(body)

    pieces = split_pieces(_emitted(opts), opts.chunk_size)
    frames: list[Frame] = []
    for index in range(n):
        if opts.tool_call:
            first = {"index": 0, **_tool_call(opts, "")}
            frames.append((HEAD, chunk(index, {"role": "assistant", "content": None, "tool_calls": [first]})))
        else:
            frames.append((HEAD, chunk(index, {"role": "assistant", "content": "", "refusal": None})))
    for piece in pieces:
        for index in range(n):
            if opts.tool_call:
                delta: dict[str, Any] = {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
            else:
                delta = {"content": piece}
            frames.append((CONTENT, chunk(index, delta)))
    finish = "tool_calls" if opts.tool_call else "stop"
    frames.extend((TAIL, chunk(index, {}, finish)) for index in range(n))
    if include_usage:
        usage = chat_usage(prompt_tokens("chat", payload), n * words(_emitted(opts)), opts)
        frames.append((TAIL, sse({**base, "choices": [], "usage": usage})))
    frames.append((TAIL, sse("[DONE]")))
    return frames


# --- legacy completions -------------------------------------------------------------


def completion(payload: dict[str, Any], opts: ReplyOptions) -> dict[str, Any]:
    n = _n(payload)
    body: dict[str, Any] = {
        "id": new_id("cmpl-"),
        "object": "text_completion",
        "created": opts.created,
        "model": opts.model,
        "choices": [
            {"text": opts.text, "index": i, "logprobs": None, "finish_reason": "stop"} for i in range(n)
        ],
        "system_fingerprint": "fp_fake",
    }
    if opts.usage:
        body["usage"] = chat_usage(prompt_tokens("completions", payload), n * words(opts.text), opts)
    return body


def completion_frames(payload: dict[str, Any], opts: ReplyOptions) -> list[Frame]:
    n, include_usage = _n(payload), _include_usage(payload, opts)
    base = {"id": new_id("cmpl-"), "object": "text_completion", "created": opts.created, "model": opts.model}

    def chunk(index: int, text: str, finish: str | None = None) -> bytes:
        body = {**base, "choices": [{"text": text, "index": index, "logprobs": None, "finish_reason": finish}]}
        if include_usage:
            body["usage"] = None
        return sse(body)

    frames: list[Frame] = []
    for piece in split_pieces(opts.text, opts.chunk_size):
        frames.extend((CONTENT, chunk(i, piece)) for i in range(n))
    frames.extend((TAIL, chunk(i, "", "stop")) for i in range(n))
    if include_usage:
        usage = chat_usage(prompt_tokens("completions", payload), n * words(opts.text), opts)
        frames.append((TAIL, sse({**base, "choices": [], "usage": usage})))
    frames.append((TAIL, sse("[DONE]")))
    return frames


# --- embeddings -----------------------------------------------------------------------


def embedding_vector(value: str | list[int], dimensions: int = 8) -> list[float]:
    """Deterministic vector for one input; every value is exact in float32."""
    seed = value.encode() if isinstance(value, str) else json.dumps(value).encode()
    out: list[float] = []
    block = 0
    while len(out) < dimensions:
        digest = hashlib.sha256(seed + b"#%d" % block).digest()
        out.extend((b - 128) / 128 for b in digest)
        block += 1
    return out[:dimensions]


def embeddings(payload: dict[str, Any], opts: ReplyOptions) -> dict[str, Any]:
    raw = payload.get("input")
    if isinstance(raw, str) or (isinstance(raw, list) and raw and all(isinstance(v, int) for v in raw)):
        inputs: list[Any] = [raw]
    else:
        inputs = list(raw) if isinstance(raw, list) else []
    dims = payload.get("dimensions")
    dims = dims if isinstance(dims, int) and dims > 0 else 8
    data = []
    for index, value in enumerate(inputs):
        vector: Any = embedding_vector(value, dims)
        if payload.get("encoding_format") == "base64":
            vector = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": vector})
    body: dict[str, Any] = {"object": "list", "data": data, "model": opts.model}
    if opts.usage:
        tokens = prompt_tokens("embeddings", payload)
        body["usage"] = {"prompt_tokens": tokens, "total_tokens": tokens}
    return body


# --- responses --------------------------------------------------------------------------


def response_and_events(payload: dict[str, Any], opts: ReplyOptions) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Build the final Response and the full typed event list that streams it."""
    resp_id = new_id("resp_")
    if opts.tool_call:
        item: dict[str, Any] = {"id": new_id("fc_"), "type": "function_call", "call_id": new_id("call_"),
                                "name": opts.tool_call, "arguments": opts.tool_arguments, "status": "completed"}
    else:
        part = {"type": "output_text", "text": opts.text, "annotations": [], "logprobs": []}
        item = {"id": new_id("msg_"), "type": "message", "role": "assistant", "status": "completed", "content": [part]}
    final: dict[str, Any] = {
        "id": resp_id, "object": "response", "created_at": opts.created, "status": "completed",
        "background": False, "error": None, "incomplete_details": None,
        "instructions": payload.get("instructions"), "max_output_tokens": payload.get("max_output_tokens"),
        "model": opts.model, "output": [item], "parallel_tool_calls": True,
        "previous_response_id": payload.get("previous_response_id"), "reasoning": {"effort": None, "summary": None},
        "service_tier": _service_tier(payload), "store": True, "temperature": payload.get("temperature", 1.0),
        "text": {"format": {"type": "text"}}, "tool_choice": payload.get("tool_choice", "auto"),
        "tools": payload.get("tools") or [], "top_p": payload.get("top_p", 1.0), "truncation": "disabled",
        "metadata": payload.get("metadata") or {}, "usage": None,
    }  # fmt: skip
    if opts.usage:
        prompt, completion_ = prompt_tokens("responses", payload), words(_emitted(opts))
        final["usage"] = {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": opts.cached_tokens, "cache_write_tokens": 0},
            "output_tokens": completion_,
            "output_tokens_details": {"reasoning_tokens": opts.reasoning_tokens},
            "total_tokens": prompt + completion_,
        }
    pending = {**final, "status": "in_progress", "output": [], "usage": None}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": pending},
        {"type": "response.in_progress", "response": pending},
    ]
    ids = {"item_id": item["id"], "output_index": 0}
    if opts.tool_call:
        events.append({"type": "response.output_item.added", "output_index": 0,
                       "item": {**item, "arguments": "", "status": "in_progress"}})
        for piece in split_pieces(opts.tool_arguments, opts.chunk_size):
            events.append({"type": "response.function_call_arguments.delta", **ids, "delta": piece})
        events.append({"type": "response.function_call_arguments.done", **ids, "name": opts.tool_call,
                       "arguments": opts.tool_arguments})
    else:
        ids["content_index"] = 0
        events.append({"type": "response.output_item.added", "output_index": 0,
                       "item": {**item, "status": "in_progress", "content": []}})
        events.append({"type": "response.content_part.added", **ids,
                       "part": {"type": "output_text", "text": "", "annotations": [], "logprobs": []}})
        for piece in split_pieces(opts.text, opts.chunk_size):
            events.append({"type": "response.output_text.delta", **ids, "delta": piece, "logprobs": []})
        events.append({"type": "response.output_text.done", **ids, "text": opts.text, "logprobs": []})
        events.append({"type": "response.content_part.done", **ids, "part": item["content"][0]})
    events.append({"type": "response.output_item.done", "output_index": 0, "item": item})
    events.append({"type": "response.completed", "response": final})
    for number, event in enumerate(events):
        event["sequence_number"] = number
    return final, events


_RESPONSE_HEAD = {"response.created", "response.in_progress", "response.output_item.added",
                  "response.content_part.added"}
_RESPONSE_CONTENT = {"response.output_text.delta", "response.function_call_arguments.delta"}


def response_frames(events: list[dict[str, Any]], starting_after: int | None = None) -> list[Frame]:
    """SSE frames (``event:`` + ``data:``) of a responses stream; no ``[DONE]``."""
    frames: list[Frame] = []
    for event in events:
        if starting_after is not None and event["sequence_number"] <= starting_after:
            continue
        kind = HEAD if event["type"] in _RESPONSE_HEAD else CONTENT if event["type"] in _RESPONSE_CONTENT else TAIL
        frames.append((kind, sse(event, event["type"])))
    return frames


def response_error_frame(sequence_number: int) -> bytes:
    """The Responses API's own error event (the SDK yields it; it does not raise)."""
    event = {"type": "error", "code": "server_error", "message": STREAM_ERROR_MESSAGE, "param": None,
             "sequence_number": sequence_number}
    return sse(event, "error")


# --- errors -------------------------------------------------------------------------------

_ERROR_KINDS = {  # status -> (type, code)
    400: ("invalid_request_error", "bad_request"), 401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "permission_denied"), 404: ("invalid_request_error", "not_found"),
    408: ("timeout", "request_timeout"), 409: ("invalid_request_error", "conflict"),
    422: ("invalid_request_error", "unprocessable_entity"), 429: ("rate_limit_exceeded", "rate_limit_exceeded"),
    500: ("server_error", "internal_server_error"), 502: ("server_error", "bad_gateway"),
    503: ("server_error", "service_unavailable"), 504: ("server_error", "gateway_timeout"),
}  # fmt: skip


def error_body(status: int, message: str | None = None) -> dict[str, Any]:
    """OpenAI error body for ``status``: ``{"error": {message, type, param, code}}``."""
    default = ("server_error", "server_error") if status >= 500 else ("invalid_request_error", "client_error")
    type_, code = _ERROR_KINDS.get(status, default)
    message = message or f"Fake {status} error injected by x-fake-status."
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}
