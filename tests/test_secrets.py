"""No credential reaches anything HILT writes: JSONL, Sheets journal and checkpoint, Sheets requests, logs.

Every covered SDK method is called with a recognisable secret everywhere the SDK accepts one (client
options, per-request headers/query/body, Azure key and AD token, URL user-info, MCP tool auth), and
every byte HILT wrote is scanned for them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import openai
import pydantic
import pytest

import hilt
from hilt.testing import FakeOpenAIServer, read_lines

from tests._surfaces import HAS_CHAT_PARSE, HAS_CHAT_STREAM, HAS_RESPONSES, HAS_RESPONSES_PARSE, HAS_RESPONSES_STREAM

SECRETS = {
    "api_key": "sk-S3CRET-api-key-0001",
    "default_header": "S3CRET-default-header-0002",
    "extra_header": "S3CRET-extra-header-0003",
    "default_query": "S3CRET-default-query-0004",
    "extra_query": "S3CRET-extra-query-0005",
    "extra_body": "S3CRET-extra-body-0006",
    "organization": "org-S3CRET-0007",
    "project": "proj_S3CRET_0008",
    "url_user": "S3CRETuser0009",
    "url_password": "S3CRETpass0010",
    "azure_key": "S3CRET-azure-key-0011",
    "azure_ad_token": "S3CRET-azure-ad-0012",
    "mcp_authorization": "S3CRET-mcp-auth-0013",
    "mcp_header": "S3CRET-mcp-header-0014",
    "mcp_url_token": "S3CRET-mcp-url-0015",
}
MESSAGES = [{"role": "user", "content": "Where is Paris?"}]
PER_REQUEST = {
    "extra_headers": {"X-Api-Key": SECRETS["extra_header"]},
    "extra_query": {"token": SECRETS["extra_query"]},
    "extra_body": {"client_secret": SECRETS["extra_body"]},
}
PARSE_REQUEST = {**PER_REQUEST, "extra_headers": {**PER_REQUEST["extra_headers"], "x-fake-reply": '{"city": "Paris"}'}}
MCP_TOOL = {
    "type": "mcp",
    "server_label": "wiki",
    "server_url": f"https://mcp.example.com/sse?token={SECRETS['mcp_url_token']}&lang=en",
    "authorization": SECRETS["mcp_authorization"],
    "headers": {"Authorization": f"Bearer {SECRETS['mcp_header']}"},
    "require_approval": "never",
}
REDACTED_MCP_TOOL = {
    "type": "mcp",
    "server_label": "wiki",
    "server_url": "https://mcp.example.com/sse?token=[REDACTED]&lang=en",
    "authorization": "[REDACTED]",
    "headers": "[REDACTED]",
    "require_approval": "never",
}


class City(pydantic.BaseModel):
    city: str


def _client(server: FakeOpenAIServer, *, user_info: bool = False) -> openai.OpenAI:
    """A client with secrets in every option; with ``user_info`` also in the base URL (httpx then sends Basic auth)."""
    scheme, rest = server.base_url.split("://", 1)
    return openai.OpenAI(
        base_url=f"{scheme}://{SECRETS['url_user']}:{SECRETS['url_password']}@{rest}" if user_info else server.base_url,
        api_key=SECRETS["api_key"],
        organization=SECRETS["organization"],
        project=SECRETS["project"],
        default_headers={"X-Custom-Auth": SECRETS["default_header"]},
        default_query={"api_key": SECRETS["default_query"]},
        max_retries=0,
    )


def _call_everything(client: openai.OpenAI) -> int:
    """Every covered method once, with per-request secrets; returns the number of calls made."""
    calls = [
        lambda: client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **PER_REQUEST),
        lambda: list(
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True, **PER_REQUEST)
        ),
        lambda: client.chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=MESSAGES, **PER_REQUEST
        ).parse(),
        lambda: _parse_streaming(
            client.chat.completions.with_streaming_response.create(
                model="gpt-4o-mini", messages=MESSAGES, **PER_REQUEST
            )
        ),
        lambda: client.embeddings.create(model="text-embedding-3-small", input="Paris", **PER_REQUEST),
        lambda: client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Paris is", **PER_REQUEST),
    ]
    if HAS_CHAT_PARSE:
        calls.append(
            lambda: client.chat.completions.parse(
                model="gpt-4o-mini", messages=MESSAGES, response_format=City, **PARSE_REQUEST
            )
        )
    if HAS_CHAT_STREAM:
        calls.append(
            lambda: _drain(client.chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES, **PER_REQUEST))
        )
    if HAS_RESPONSES:
        calls.append(
            lambda: client.responses.create(model="gpt-4o-mini", input="Paris?", tools=[MCP_TOOL], **PER_REQUEST)
        )
        calls.append(
            lambda: list(
                client.responses.create(
                    model="gpt-4o-mini", input="Paris?", tools=[MCP_TOOL], stream=True, **PER_REQUEST
                )
            )
        )
    if HAS_RESPONSES_STREAM:
        calls.append(
            lambda: _drain(
                client.responses.stream(model="gpt-4o-mini", input="Paris?", tools=[MCP_TOOL], **PER_REQUEST)
            )
        )
    if HAS_RESPONSES_PARSE:
        calls.append(
            lambda: client.responses.parse(model="gpt-4o-mini", input="Paris?", text_format=City, **PARSE_REQUEST)
        )
    for call in calls:
        call()
    return len(calls)


def _parse_streaming(manager: Any) -> None:
    with manager as response:
        response.parse()


def _call_async(server: FakeOpenAIServer) -> int:
    async def call() -> None:
        async with openai.AsyncOpenAI(base_url=server.base_url, api_key=SECRETS["api_key"], max_retries=0) as client:
            await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **PER_REQUEST)

    asyncio.run(call())
    return 1


def _drain(manager: Any) -> None:
    with manager as stream:
        for _ in stream:
            pass


def _call_azure(server: FakeOpenAIServer) -> int:
    root = server.base_url.rsplit("/v1", 1)[0]
    options = {"azure_endpoint": root, "api_version": "2024-06-01", "max_retries": 0}
    with openai.AzureOpenAI(api_key=SECRETS["azure_key"], **options) as azure:
        azure.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **PER_REQUEST)
    with openai.AzureOpenAI(azure_ad_token=SECRETS["azure_ad_token"], **options) as azure:
        azure.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **PER_REQUEST)
    return 2


def _call_everything_everywhere(server: FakeOpenAIServer) -> int:
    with _client(server) as client:
        calls = _call_everything(client)
    with _client(server, user_info=True) as client:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **PER_REQUEST)
    return calls + 1 + _call_azure(server) + _call_async(server)


def _leaks(data: str) -> list[str]:
    return [name for name, value in SECRETS.items() if value in data]


def _check_the_server_saw_the_secrets(server: FakeOpenAIServer) -> None:
    """The test is only meaningful if the secrets really went out with the requests."""
    seen = json.dumps([[r.path, r.query, r.headers, r.body.decode()] for r in server.requests])
    not_plain = {"url_user", "url_password"}  # sent base64-encoded in a Basic auth header
    if not HAS_RESPONSES:
        not_plain |= {"mcp_authorization", "mcp_header", "mcp_url_token"}
    assert sorted(set(SECRETS) - not_plain - set(_leaks(seen))) == []


@pytest.mark.parametrize("capture_content", [True, False])
def test_no_secret_in_the_jsonl_log_or_logs(
    server: FakeOpenAIServer,
    log_path: Path,
    capture_content: bool,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Every covered method with secrets everywhere: none of them is in the JSONL file, stderr or the hilt logger."""
    caplog.set_level(logging.DEBUG, logger="hilt")
    server.clear()
    hilt.instrument(filepath=str(log_path), capture_content=capture_content)
    calls = _call_everything_everywhere(server)
    hilt.uninstrument()
    _check_the_server_saw_the_secrets(server)
    text = log_path.read_text(encoding="utf-8")
    assert len(read_lines(log_path)) == 2 * calls
    captured = capfd.readouterr()
    assert _leaks(text) == []
    assert _leaks(captured.out + captured.err) == []
    assert _leaks("\n".join(record.getMessage() for record in caplog.records)) == []
    if HAS_RESPONSES and capture_content:
        tools = [
            e["extensions"]["params"]["tools"]
            for e in read_lines(log_path)
            if "tools" in e["extensions"].get("params", {})
        ]
        assert tools and all(t == [REDACTED_MCP_TOOL] for t in tools)


def test_no_secret_in_the_sheets_journal_checkpoint_or_requests(server: FakeOpenAIServer, tmp_path: Path) -> None:
    """With the Sheets backend, the journal, the checkpoint and every request body the Sheets API got are free of secrets."""
    from hilt.testing import FakeSheetsServer, wait_for, write_service_account

    with FakeSheetsServer() as sheets:
        credentials = write_service_account(tmp_path / "service-account.json", sheets.token_uri)
        journal_dir = tmp_path / "journal"
        hilt.instrument(
            backend="sheets",
            sheet_id=sheets.spreadsheet_id,
            credentials_path=str(credentials),
            sheets_endpoint=sheets.endpoint,
            journal_path=str(journal_dir / "sheets.jsonl"),
            flush_interval=0.05,
            shutdown_timeout=3.0,
        )
        calls = _call_everything_everywhere(server)
        wait_for(lambda: len(sheets.rows()) == 1 + 2 * calls)
        hilt.uninstrument()
        bodies = b"\n".join(request.body for request in sheets.requests).decode("utf-8")
    written = {path.name: path.read_text(encoding="utf-8") for path in journal_dir.rglob("*") if path.is_file()}
    assert any(name.endswith(".checkpoint") for name in written)
    assert {name: _leaks(text) for name, text in written.items()} == {name: [] for name in written}
    assert _leaks(bodies) == []


class _EchoingHandler(BaseHTTPRequestHandler):
    """A server (or proxy) that echoes the credentials it got in its error message."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        message = f"Incorrect API key provided: {self.headers.get('Authorization')} (query: {self.path})"
        body = json.dumps(
            {"error": {"message": message, "type": "invalid_request_error", "code": "invalid_api_key"}}
        ).encode()
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_error_message_echoing_the_credentials_is_scrubbed(log_path: Path) -> None:
    """An error body that echoes the API key and a secret query value is logged with both replaced by [REDACTED]."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        hilt.instrument(filepath=str(log_path))
        base_url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
        with openai.OpenAI(base_url=base_url, api_key=SECRETS["api_key"], max_retries=0) as client:
            with pytest.raises(openai.AuthenticationError) as caught:
                client.chat.completions.create(
                    model="gpt-4o-mini", messages=MESSAGES, extra_query={"token": SECRETS["extra_query"]}
                )
        hilt.uninstrument()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert SECRETS["api_key"] in str(caught.value)  # the application still gets the SDK's own exception
    _, system = read_lines(log_path)
    # the SDK's own wording around the body differs between versions
    assert (
        "Incorrect API key provided: [REDACTED] (query: /v1/chat/completions?token=[REDACTED])"
        in system["extensions"]["error_message"]
    )
    assert _leaks(log_path.read_text(encoding="utf-8")) == []


def test_server_keeps_host_port_and_drops_user_info(server: FakeOpenAIServer, instrumented: Path) -> None:
    """A base_url with user-info and a secret query gives provenance.server "host:port" and nothing else."""
    with _client(server, user_info=True) as client:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    prompt, completion = read_lines(instrumented)
    host_port = server.base_url.split("://", 1)[1].split("/", 1)[0]
    assert prompt["provenance"]["server"] == completion["provenance"]["server"] == host_port


def _login_tool(api_key: str, cookie: str) -> dict[str, Any]:
    """A function tool whose JSON Schema names secret-looking fields, with ``api_key`` and ``cookie`` nested in extra data."""
    return {
        "type": "function",
        "function": {
            "name": "login",
            "parameters": {
                "type": "object",
                "properties": {"password": {"type": "string"}, "Token": {"type": "string"}},
            },
            "x-extra": {"nested": [{"API-KEY": api_key, "Cookie": cookie, "keep": "visible"}]},
        },
    }


def test_secret_keys_are_redacted_at_any_depth_and_any_case(server: FakeOpenAIServer, instrumented: Path) -> None:
    """Secret-looking keys are redacted in any case and at any depth; JSON Schema field names are not secrets."""
    tool = _login_tool("S3CRET-nested", "S3CRET-cookie")
    with openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, tools=[tool])
    prompt, _ = read_lines(instrumented)
    assert prompt["extensions"]["params"]["tools"] == [_login_tool("[REDACTED]", "[REDACTED]")]
    assert "S3CRET" not in instrumented.read_text(encoding="utf-8")


def test_signed_image_url_and_user_info_are_scrubbed_in_messages(server: FakeOpenAIServer, instrumented: Path) -> None:
    """An image URL with a signature query and user-info is logged without them; other query values stay."""
    url = "https://bob:S3CRETpw@images.example.com/cat.png?X-Amz-Signature=S3CRETsig&size=large"
    message = {"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}
    with openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
        client.chat.completions.create(model="gpt-4o-mini", messages=[message])
    prompt, _ = read_lines(instrumented)
    part = prompt["content"]["messages"][0]["content"][0]
    assert part == {
        "type": "image_url",
        "image_url": {"url": "https://images.example.com/cat.png?X-Amz-Signature=[REDACTED]&size=large"},
    }


def test_a_value_under_properties_that_is_not_a_schema_is_still_checked(
    server: FakeOpenAIServer, instrumented: Path
) -> None:
    """Under a "properties" key only field schemas (objects) escape the secret check; a plain token value does not."""
    with openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
        parameters = {"properties": {"token": "S3CRET-p", "city": {"type": "string"}}}
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            tools=[{"type": "function", "function": {"name": "f", "parameters": parameters}}],
        )
    prompt, _ = read_lines(instrumented)
    assert prompt["extensions"]["params"]["tools"][0]["function"]["parameters"] == {
        "properties": {"token": "[REDACTED]", "city": {"type": "string"}}
    }


def test_no_secret_survives_any_nesting() -> None:
    """Whatever the nesting of dicts, lists and tuples, a value under a secret key never survives the copy."""
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    from hilt.providers.openai._redact import jsonable

    keys = st.sampled_from(["Authorization", "api-key", "TOKEN", "password", "role", "content", "url", "properties"])
    plain = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20).filter(lambda t: "S3CRET" not in t))
    values = st.recursive(
        plain,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.tuples(inner, inner),
            st.dictionaries(keys, inner, max_size=4),
        ),
        max_leaves=30,
    )

    def with_secrets(tree: Any) -> Any:
        """The same tree with a secret under every secret-looking key that holds a plain value."""
        if isinstance(tree, dict):
            return {
                k: "S3CRET-value" if k.lower() in ("authorization", "api-key", "token", "password") else with_secrets(v)
                for k, v in tree.items()
            }
        if isinstance(tree, (list, tuple)):
            return type(tree)(with_secrets(v) for v in tree)
        return tree

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(values)
    def check(tree: Any) -> None:
        copied = jsonable(with_secrets(tree))
        assert "S3CRET" not in json.dumps(copied)

    check()
