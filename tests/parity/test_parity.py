"""Parity: every scenario gives the application exactly the same thing with HILT as without it.

Each scenario runs twice against the loopback server, plain and instrumented, and the observations
(types, public attributes, dumps, values read, exceptions, requests received byte for byte) must be
equal. The instrumented run must also log exactly one prompt/reply pair per logical call.
"""

from __future__ import annotations

from typing import Any

import openai
import pydantic
import pytest

from tests._surfaces import (
    HAS_BETA_RESPONSES,
    HAS_CHAT_PARSE,
    HAS_CHAT_STREAM,
    HAS_RESPONSES,
    HAS_RESPONSES_PARSE,
    HAS_RESPONSES_RESUME,
    HAS_RESPONSES_STREAM,
    pairs,
    skip_unless_raw,
)
from tests.parity._parity import describe, normalize, run


class City(pydantic.BaseModel):
    city: str


CITY = {"x-fake-reply": '{"city": "Paris"}'}
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}]}
RESP = {"model": "gpt-4o-mini", "input": "Say hello", "instructions": "Be brief."}
EMBED = {"model": "text-embedding-3-small", "input": ["a b", "c"]}
LEGACY = {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hello"}
USAGE = {"stream_options": {"include_usage": True}}

# name -> (resource path, method, kwargs, stream kwargs or None when the method does not stream, available, reason)
METHODS: dict[str, tuple[str, str, dict[str, Any], dict[str, Any] | None, bool, str]] = {
    "chat.create": ("chat.completions", "create", CHAT, USAGE, True, ""),
    "chat.parse": ("chat.completions", "parse", {**CHAT, "response_format": City, "extra_headers": CITY}, None,
                   HAS_CHAT_PARSE, "chat.completions.parse (non-beta) arrived in openai ~1.92"),
    "responses.create": ("responses", "create", RESP, {}, HAS_RESPONSES, "client.responses arrived in openai 1.66"),
    "responses.parse": ("responses", "parse", {**RESP, "text_format": City, "extra_headers": CITY}, None,
                        HAS_RESPONSES_PARSE, "responses.parse arrived after 1.66"),
    "beta.responses.create": ("beta.responses", "create", RESP, {}, HAS_BETA_RESPONSES,
                              "client.beta.responses is a separate class only in openai 3.x"),
    "embeddings.create": ("embeddings", "create", EMBED, None, True, ""),
    "completions.create": ("completions", "create", LEGACY, USAGE, True, ""),
}  # fmt: skip
NO_STREAMING_RESPONSE = {"responses.parse"}  # the SDK has no responses.with_streaming_response.parse


def _resource(client: Any, path: str) -> Any:
    for part in path.split("."):
        client = getattr(client, part)
    return client


def _read(result: Any) -> dict[str, Any]:
    """The values an application typically reads from a result."""
    values: dict[str, Any] = {}
    for name in ("output_text", "output_parsed", "_request_id"):
        try:
            values[name] = normalize(getattr(result, name))
        except Exception as exc:  # noqa: BLE001 - the same failure must happen in both runs
            values[name] = f"raises {type(exc).__name__}"
    choices = getattr(result, "choices", None) or []
    if choices:
        message = getattr(choices[0], "message", None)
        values["first"] = normalize(getattr(message, "content", None) or getattr(choices[0], "text", None))
        values["parsed"] = normalize(getattr(message, "parsed", None))
    return values


def _seen(obj: Any) -> dict[str, Any]:
    return {**describe(obj), "read": _read(obj)}


def _raw_meta(raw: Any) -> dict[str, Any]:
    headers = {k: v for k, v in raw.headers.items() if k not in ("date", "x-request-id")}
    return {
        **describe(raw),
        "status": raw.status_code,
        "headers": headers,
        "retries": getattr(raw, "retries_taken", None),  # openai >= 1.4x
        "url": str(raw.http_request.url),
        "request_id": normalize(raw.request_id if hasattr(raw, "request_id") else None),
    }


def _stream_seen(stream: Any) -> dict[str, Any]:
    head = describe(stream)
    chunks = [_seen(chunk) for chunk in stream]
    return {**head, "chunks": chunks, "closed": stream.response.is_closed}


async def _astream_seen(stream: Any) -> dict[str, Any]:
    head = describe(stream)
    chunks = [_seen(chunk) async for chunk in stream]
    return {**head, "chunks": chunks, "closed": stream.response.is_closed}


def _result_seen(result: Any) -> Any:
    return _stream_seen(result) if isinstance(result, openai.Stream) else _seen(result)


async def _aresult_seen(result: Any) -> Any:
    return await _astream_seen(result) if isinstance(result, openai.AsyncStream) else _seen(result)


def _scenario(name: str, stream: bool, mode: str, is_async: bool) -> Any:
    path, method, kwargs, stream_kwargs, _, _ = METHODS[name]
    call_kwargs = {**kwargs, "stream": True, **(stream_kwargs or {})} if stream else dict(kwargs)

    def sync(client: Any) -> Any:
        resource = _resource(client, path)
        if mode == "plain":
            return _result_seen(getattr(resource, method)(**call_kwargs))
        if mode == "raw":
            raw = getattr(resource.with_raw_response, method)(**call_kwargs)
            meta = _raw_meta(raw)
            return {**meta, "parsed": _result_seen(raw.parse()), "cached": raw.parse() is raw.parse()}
        with getattr(resource.with_streaming_response, method)(**call_kwargs) as response:
            meta = _raw_meta(response)
            if mode == "lines":
                return {**meta, "lines": normalize(list(response.iter_lines()))}
            return {**meta, "parsed": _result_seen(response.parse())}

    async def asynchronous(client: Any) -> Any:
        resource = _resource(client, path)
        if mode == "plain":
            return await _aresult_seen(await getattr(resource, method)(**call_kwargs))
        if mode == "raw":
            raw = await getattr(resource.with_raw_response, method)(**call_kwargs)
            return {**_raw_meta(raw), "parsed": await _aresult_seen(raw.parse())}
        async with getattr(resource.with_streaming_response, method)(**call_kwargs) as response:
            meta = _raw_meta(response)
            if mode == "lines":
                return {**meta, "lines": normalize([line async for line in response.iter_lines()])}
            return {**meta, "parsed": await _aresult_seen(await response.parse())}

    return asynchronous if is_async else sync


def _cases() -> list[Any]:
    cases = []
    for name, (_, _, _, stream_kwargs, available, reason) in METHODS.items():
        marks = [] if available else [pytest.mark.skip(reason=reason)]
        for stream in (False, True) if stream_kwargs is not None else (False,):
            for mode in ("plain", "raw", "streaming", "lines"):
                if mode in ("streaming", "lines") and name in NO_STREAMING_RESPONSE:
                    continue
                for is_async in (False, True):
                    label = f"{name}-{'stream' if stream else 'once'}-{mode}-{'async' if is_async else 'sync'}"
                    cases.append(pytest.param(name, stream, mode, is_async, marks=marks, id=label))
    return cases


def _compare(server: Any, log_path: Any, scenario: Any, is_async: bool, expected_pairs: int, **options: Any) -> Any:
    without = run(scenario, is_async, server, None, **options)
    with_hilt = run(scenario, is_async, server, log_path, **options)
    assert with_hilt == without
    assert len(pairs(log_path)) == expected_pairs
    return with_hilt


@pytest.mark.parametrize(("name", "stream", "mode", "is_async"), _cases())
def test_method_parity(server, log_path, name, stream, mode, is_async):
    if mode != "plain":
        path, method = METHODS[name][:2]
        with openai.OpenAI(api_key="k", base_url=server.base_url) as probe:
            skip_unless_raw(_resource(probe, path), method, "with_raw_response" if mode == "raw" else "with_streaming_response")
    seen = _compare(server, log_path, _scenario(name, stream, mode, is_async), is_async, 1)
    assert "error" not in seen
    assert len(seen["requests"]) == 1


def _helper_scenario(kind: str, is_async: bool) -> Any:
    def sync(client: Any) -> Any:
        if kind == "chat":
            manager = client.chat.completions.stream(**CHAT, **USAGE)
        elif kind == "responses":
            manager = client.responses.stream(**RESP)
        else:
            first = client.responses.create(**RESP)
            manager = client.responses.stream(response_id=first.id)
        with manager as stream:
            events = [describe(event) for event in stream]
            final = stream.get_final_completion() if kind == "chat" else stream.get_final_response()
        return {"events": events, "final": _seen(final)}

    async def asynchronous(client: Any) -> Any:
        if kind == "chat":
            manager = client.chat.completions.stream(**CHAT, **USAGE)
        elif kind == "responses":
            manager = client.responses.stream(**RESP)
        else:
            first = await client.responses.create(**RESP)
            manager = client.responses.stream(response_id=first.id)
        async with manager as stream:
            events = [describe(event) async for event in stream]
            final = await (stream.get_final_completion() if kind == "chat" else stream.get_final_response())
        return {"events": events, "final": _seen(final)}

    return asynchronous if is_async else sync


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("kind", ["chat", "responses", "resume"])
def test_stream_helper_parity(server, log_path, kind, is_async):
    if kind == "chat" and not HAS_CHAT_STREAM:
        pytest.skip("chat.completions.stream (non-beta) arrived in openai ~1.92")
    if kind == "responses" and not HAS_RESPONSES_STREAM:
        pytest.skip("responses.stream arrived after openai 1.66")
    if kind == "resume" and not HAS_RESPONSES_RESUME:
        pytest.skip("responses.stream(response_id=...) arrived after openai 1.66")
    seen = _compare(server, log_path, _helper_scenario(kind, is_async), is_async, 2 if kind == "resume" else 1)
    assert "error" not in seen


ERRORS = {
    "400": ({"x-fake-status": "400"}, 1),
    "404": ({"x-fake-status": "404"}, 1),
    "429-no-retry-left": ({"x-fake-status": "429"}, 1),
    "500": ({"x-fake-status": "500"}, 1),
    "mid-stream-error": ({"x-fake-stream-error-after": "2"}, 1),
    "connection-dropped": ({"x-fake-drop-after": "2"}, 1),
}


def _error_scenario(headers: dict[str, str], stream: bool, is_async: bool) -> Any:
    def sync(client: Any) -> Any:
        result = client.chat.completions.create(**CHAT, stream=stream, extra_headers=headers)
        return _result_seen(result)

    async def asynchronous(client: Any) -> Any:
        result = await client.chat.completions.create(**CHAT, stream=stream, extra_headers=headers)
        return await _aresult_seen(result)

    return asynchronous if is_async else sync


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("case", list(ERRORS))
def test_error_parity(server, log_path, case, is_async):
    headers, expected_pairs = ERRORS[case]
    stream = case in ("mid-stream-error", "connection-dropped")
    seen = _compare(server, log_path, _error_scenario(headers, stream, is_async), is_async, expected_pairs)
    assert "error" in seen


@pytest.mark.skipif(not HAS_RESPONSES, reason="client.responses arrived in openai 1.66")
@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_responses_error_parity(server, log_path, is_async):
    def sync(client: Any) -> Any:
        return client.responses.create(**RESP, extra_headers={"x-fake-status": "422"})

    async def asynchronous(client: Any) -> Any:
        return await client.responses.create(**RESP, extra_headers={"x-fake-status": "422"})

    seen = _compare(server, log_path, asynchronous if is_async else sync, is_async, 1)
    assert seen["status"] == 422


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("raw", [False, True], ids=["plain", "raw"])
def test_retry_parity(server, log_path, raw, is_async):
    """Two 429s then a 200 inside one call: the same three requests, the same result, one logged pair."""
    counter = iter(range(1000))

    def headers() -> dict[str, str]:  # a fresh key per run, so both runs see the same failures
        return {"x-fake-fail-first": "2", "x-fake-status": "429", "x-fake-key": f"retry-{next(counter) // 1}"}

    def sync(client: Any) -> Any:
        h = headers()
        if raw:
            response = client.chat.completions.with_raw_response.create(**CHAT, extra_headers=h)
            return {**_raw_meta(response), "parsed": _seen(response.parse())}
        return _seen(client.chat.completions.create(**CHAT, extra_headers=h))

    async def asynchronous(client: Any) -> Any:
        h = headers()
        if raw:
            response = await client.chat.completions.with_raw_response.create(**CHAT, extra_headers=h)
            return {**_raw_meta(response), "parsed": _seen(response.parse())}
        return _seen(await client.chat.completions.create(**CHAT, extra_headers=h))

    without = run(asynchronous if is_async else sync, is_async, server, None, max_retries=2)
    with_hilt = run(asynchronous if is_async else sync, is_async, server, log_path, max_retries=2)
    for outcome in (without, with_hilt):  # the key differs by design; everything else must match
        for request in outcome["requests"]:
            request["headers"].pop("x-fake-key")
    assert with_hilt == without
    assert len(with_hilt["requests"]) == 3
    if "x-stainless-retry-count" in with_hilt["requests"][0]["headers"]:  # sent by openai >= 1.4x
        assert [r["headers"]["x-stainless-retry-count"] for r in with_hilt["requests"]] == ["0", "1", "2"]
    if raw and with_hilt["result"]["retries"] is not None:
        assert with_hilt["result"]["retries"] == 2
    assert len(pairs(log_path)) == 1
