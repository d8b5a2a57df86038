"""Fault suite: killed and terminated processes, a full disk, log files that are FIFOs, links, deleted or
rotated away, and property-based fuzzing of request and response shapes. In every case the host's call
behaves as without HILT and every line HILT leaves is a valid event (at most one torn line, reported)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import openai
import pytest

import hilt
from hilt.session import read_events
from hilt.testing import read_lines

from tests._fifo import run_or_unblock

MESSAGES = [{"role": "user", "content": "Hello"}]
# A failing fuzz example with a huge string has a huge repr: show it anyway.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

# A child process: instrument, then call in a loop and report each returned call on stdout.
CHILD = r"""
import json, logging, os, signal, sys
import openai, hilt

mode, base_url, log = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == "term-handler":
    def on_term(signum, frame):
        os.write(1, b"handler\n")  # not print(): the signal may land inside the loop's own print (reentrant call)
        sys.exit(3)
    signal.signal(signal.SIGTERM, on_term)
before = signal.getsignal(signal.SIGTERM)
hilt.instrument(filepath=log)
print("handler-kept" if signal.getsignal(signal.SIGTERM) is before else "handler-changed", flush=True)
client = openai.OpenAI(base_url=base_url, api_key="test-key", max_retries=0)
sys.stdin.readline()  # started early (imports overlap other tests); the burst waits for the test
for i in range(100_000):
    messages = [{"role": "user", "content": f"call {i}"}]
    if i % 3 == 2:
        for _ in client.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True):
            pass
    else:
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    print(i, flush=True)
"""


@pytest.fixture(scope="module")
def children(server: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The child processes of this module, started together so that their imports overlap."""
    folder = tmp_path_factory.mktemp("children")
    # Module scope runs before the autouse clean_environment: clean the children's environment here.
    env = {name: value for name, value in os.environ.items() if not name.startswith(("HILT_", "OPENAI_"))}
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        env[name] = str(folder / name.lower())
    env["HILT_RAISE_INTERNAL_ERRORS"] = "1"
    started: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    for name, script, mode in [
        ("kill", CHILD, "plain"), ("term", CHILD, "plain"), ("handler", CHILD, "term-handler"), ("full", FULL_DISK_CHILD, ""),
    ]:
        log = folder / f"{name}.jsonl"
        arguments = [mode] if mode else []
        child = subprocess.Popen(
            [sys.executable, "-c", script, *arguments, server.base_url, str(log)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.PIPE, env=env, cwd=folder,
        )
        started[name] = (child, log)
    yield started
    for child, _ in started.values():
        if child.poll() is None:
            child.kill()
        child.communicate()


def _run_until_then_signal(child: subprocess.Popen[bytes], calls: int, signum: int) -> tuple[list[str], int]:
    """Start the child's burst, read its progress until ``calls`` calls returned, send ``signum``; return
    every line it printed and its exit code."""
    assert child.stdout is not None and child.stdin is not None
    child.stdin.write(b"go\n")
    child.stdin.flush()
    lines: list[str] = []
    deadline = time.monotonic() + 60
    try:
        while sum(line.isdigit() for line in lines) < calls and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            lines.append(line.decode().strip())
        os.kill(child.pid, signum)
        rest, errors = child.communicate(timeout=30)
        assert b"Traceback" not in errors, errors.decode()
        return lines + [line.strip() for line in rest.decode().splitlines()], child.returncode
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()


def _returned_calls_are_logged(log: Path, returned: int, caplog: pytest.LogCaptureFixture) -> None:
    """Calls 0..returned-1 each have a prompt and a linked completion; at most one torn line, the last, reported."""
    with caplog.at_level(logging.WARNING, logger="hilt"):
        events = [e.to_dict() for e in read_events(log)]
    skipped = [r.getMessage() for r in caplog.records if r.name == "hilt"]
    line_count = len(log.read_bytes().splitlines())
    assert len(skipped) <= 1
    if skipped:
        assert skipped[0].startswith(f"{log}:{line_count}: skipped a line")
    prompts = {e["content"]["text"]: e["event_id"] for e in events if e["action"] == "prompt"}
    answered = {e["extensions"]["reply_to"] for e in events if e["action"] == "completion"}
    for i in range(returned):
        assert prompts[f"call {i}"] in answered, f"call {i} returned but its events are not both on disk"


def test_sigkill_during_a_burst_loses_no_returned_call(children, caplog):
    """A child SIGKILLed in a burst of calls: every call that returned before the kill is in the log."""
    child, log = children["kill"]
    lines, code = _run_until_then_signal(child, 20, signal.SIGKILL)
    assert code == -signal.SIGKILL
    returned = [int(line) for line in lines if line.isdigit()]
    assert returned == list(range(len(returned))) and len(returned) >= 20
    _returned_calls_are_logged(log, len(returned), caplog)


def test_sigterm_without_a_handler_keeps_the_default_exit(children, caplog):
    """HILT installs no SIGTERM handler: the child dies of SIGTERM, with every returned call in the log."""
    child, log = children["term"]
    lines, code = _run_until_then_signal(child, 10, signal.SIGTERM)
    assert lines[0] == "handler-kept"
    assert code == -signal.SIGTERM
    _returned_calls_are_logged(log, sum(line.isdigit() for line in lines), caplog)


def test_sigterm_runs_the_applications_handler(children, caplog):
    """The application's SIGTERM handler stays installed, runs, and its exit status (3) is the process's."""
    child, log = children["handler"]
    lines, code = _run_until_then_signal(child, 10, signal.SIGTERM)
    assert lines[0] == "handler-kept"
    assert lines[-1] == "handler"
    assert code == 3
    _returned_calls_are_logged(log, sum(line.isdigit() for line in lines), caplog)


FULL_DISK_CHILD = r"""
import json, logging, os, resource, signal, sys
import openai, hilt

base_url, log = sys.argv[1], sys.argv[2]
warnings = []
class Keep(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.WARNING:
            warnings.append(record.getMessage())
logging.getLogger("hilt").addHandler(Keep())
hilt.instrument(filepath=log)
client = openai.OpenAI(base_url=base_url, api_key="test-key", max_retries=0)
def call(i):
    return type(client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"call {i}"}])).__name__
types = [call(0)]
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # then a write past the limit fails (EFBIG) like one on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(log) + 100, hard))
types += [call(1), call(2)]
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space again
types.append(call(3))
print(json.dumps({"types": types, "warnings": warnings}))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE and SIGXFSZ")
def test_full_disk_never_breaks_the_call_and_the_torn_line_swallows_nothing(children, caplog):
    """Writes failing mid-line (a full disk, here a file-size limit) are reported once; the calls return their
    objects; once writes work again the next event starts on a new line and the reader skips only the torn one."""
    child, log = children["full"]
    out, errors = child.communicate(timeout=60)
    assert child.returncode == 0, errors.decode()
    result = json.loads(out)
    assert result["types"] == ["ChatCompletion"] * 4
    assert len(result["warnings"]) == 2
    assert "File too large" in result["warnings"][0]
    assert result["warnings"][1] == (
        f"HILT log {log} ended with an incomplete line (a killed process or a full disk?); the next event starts on a new line"
    )
    lines = log.read_bytes().split(b"\n")
    assert len(lines) == 6 and lines[-1] == b"" and len(lines[2]) == 100  # 2 events, the torn line, 2 events
    with caplog.at_level(logging.WARNING, logger="hilt"):
        events = list(read_events(log))
    assert [e.content.text for e in events if e.action == "prompt"] == ["call 0", "call 3"]
    assert [e.action for e in events] == ["prompt", "completion", "prompt", "completion"]
    assert len(caplog.records) == 1 and caplog.records[0].getMessage().startswith(f"{log}:3: skipped a line")


# --- the log path is not a private regular file -------------------------------------------------


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "hilt" and r.levelno >= logging.WARNING]


def test_fifo_at_the_log_path_never_blocks_the_call(client, tmp_path, caplog):
    """A FIFO at the log path (no reader): the first call returns promptly, the refusal is reported once."""
    fifo = tmp_path / "events.jsonl"
    os.mkfifo(fifo)
    hilt.instrument(filepath=str(fifo))
    results: list[Any] = []

    def call() -> None:
        for _ in range(2):
            results.append(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES))

    with caplog.at_level(logging.DEBUG, logger="hilt"):
        started = time.monotonic()
        run_or_unblock(call, fifo, other_end=os.O_RDONLY, timeout=10, what="the call")
    assert time.monotonic() - started < 5
    assert [type(r) for r in results] == [openai.types.chat.ChatCompletion] * 2
    warnings = _warnings(caplog)
    assert len(warnings) == 1 and "the log path is a FIFO, not a regular file" in warnings[0]


def test_symlink_at_the_log_path_receives_nothing(client, tmp_path, caplog):
    """A symbolic link at the log path: the call returns, nothing reaches the link's target, one warning."""
    target = tmp_path / "bashrc"
    target.write_bytes(b"export A=1\n")
    (tmp_path / "events.jsonl").symlink_to(target)
    hilt.instrument(filepath=str(tmp_path / "events.jsonl"))
    with caplog.at_level(logging.DEBUG, logger="hilt"):
        response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert type(response) is openai.types.chat.ChatCompletion
    assert target.read_bytes() == b"export A=1\n"
    warnings = _warnings(caplog)
    assert len(warnings) == 1 and "the log path is a symbolic link; HILT does not follow it" in warnings[0]


@pytest.mark.parametrize("move", ["delete", "rotate"])
def test_log_deleted_or_rotated_mid_run_is_reopened(client, log_path, move):
    """The log deleted or renamed away while the app runs: HILT creates it again and later calls are logged there."""
    hilt.instrument(filepath=str(log_path))
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "before"}])
    if move == "delete":
        log_path.unlink()
    else:
        log_path.rename(log_path.with_name("events.jsonl.1"))
    time.sleep(0.15)  # JsonlWriter.path_check_interval is 0.1 s
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "after"}])
    assert [(e["action"], e["content"]["text"]) for e in read_lines(log_path)][0] == ("prompt", "after")
    assert [e["action"] for e in read_lines(log_path)] == ["prompt", "completion"]
    if move == "rotate":
        rotated = read_lines(log_path.with_name("events.jsonl.1"))
        assert [(e["action"], e["content"]["text"]) for e in rotated][0] == ("prompt", "before")
        assert len(rotated) == 2


# --- property-based fuzzing of response and request shapes ------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402 - kept next to the tests that use it
from hypothesis import strategies as st  # noqa: E402

from hilt.instrumentation._recorder import inside_recorded_call  # noqa: E402
from hilt.schema import validate_event  # noqa: E402
from hilt.testing import _replies as replies  # noqa: E402

FUZZ = settings(
    max_examples=25, derandomize=True, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
DELETE = object()
ODD_CHARACTERS = ["\udc80", "\ud800", "\x00", "\x1b]0;pwned\x07", "\u2028", "\ufeff", "\U0001f600", "\r\n", '"}\n{']
odd_text = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),  # any code point, surrogates included
    st.lists(st.sampled_from(ODD_CHARACTERS) | st.text(max_size=4), max_size=6).map("".join),
    st.integers(20_000, 200_000).map(lambda n: ("é🙂\x00\udc80" * n)[:n]),  # huge, lone surrogates included
)
odd_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True), odd_text
)
odd_value = st.one_of(
    odd_scalar,
    st.lists(odd_scalar, max_size=3),
    st.dictionaries(st.text(max_size=8) | st.sampled_from(ODD_CHARACTERS), odd_scalar, max_size=3),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every location in a JSON tree, the root included."""
    found = [prefix]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found += _paths(child, prefix + (key,))
    return found


# A mutation plan: up to three (location number, new value or DELETE) steps, drawn independently of the body.
mutations = st.lists(st.tuples(st.integers(0, 10**6), st.just(DELETE) | odd_value), min_size=1, max_size=3)


def _mutated(body: Any, plan: list[tuple[int, Any]]) -> Any:
    """``body`` with locations deleted or replaced by odd values (None, huge or odd strings...), per ``plan``."""
    for number, value in plan:
        paths = _paths(body)
        path = paths[number % len(paths)]
        if not path:
            body = None if value is DELETE else value
            continue
        parent = body
        for key in path[:-1]:
            parent = parent[key]
        if value is DELETE:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
    return body


def _encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=True).encode()  # lone surrogates as \\u escapes, NaN as NaN


def _outcome(call: Any) -> tuple[str, str]:
    try:
        result = call()
        if isinstance(result, openai.Stream):
            result = list(result)
        return "returned", type(result).__name__
    except Exception as exc:  # noqa: BLE001 - the SDK's own error is the expected outcome for some shapes
        return "raised", type(exc).__name__


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _LogTail:
    """The lines appended to the log since the last look; each must be a strict-JSON, schema-valid event."""

    _by_path: dict[Path, _LogTail] = {}

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0

    @classmethod
    def of(cls, path: Path) -> _LogTail:
        """One tail per log, kept across the examples of a test."""
        return cls._by_path.setdefault(path, cls(path))

    def new_events(self) -> list[dict[str, Any]]:
        data = self.path.read_bytes() if self.path.exists() else b""
        chunk, self.offset = data[self.offset:], len(data)
        assert chunk == b"" or chunk.endswith(b"\n")
        # Split on b"\n" only: U+2028 and friends may stand unescaped inside a JSON string.
        events = [json.loads(line, parse_constant=_reject_constant) for line in chunk.split(b"\n")[:-1]]
        for event in events:
            validate_event(event)
        return events


def _same_with_and_without_hilt(method: Any, resource: Any, server: Any, tail: _LogTail, **kwargs: Any) -> None:
    """The call through HILT ends like the same call to the unwrapped SDK method (same result type or same
    exception type), sends the same request body, and leaves only strict-JSON, schema-valid events."""
    original = type(resource).__dict__[method].__wrapped__
    count = len(server.requests)
    token = inside_recorded_call.set(True)  # the client-level layer passes the unwrapped call through, unrecorded
    try:
        without = _outcome(lambda: original(resource, **kwargs))
    finally:
        inside_recorded_call.reset(token)
    sent = len(server.requests) - count
    with_hilt = _outcome(lambda: getattr(resource, method)(**kwargs))
    assert with_hilt == without
    if sent:
        assert server.requests[-1].body == server.requests[-2].body
    actions = [e["action"] for e in tail.new_events()]
    # The prompt always, then the completion or the error event: an odd reply is recorded, not lost.
    assert actions in (["prompt", "completion"], ["prompt", "system"]), actions


def _options(tool: bool) -> replies.ReplyOptions:
    return replies.ReplyOptions(text="Hi there friend", model="gpt-4o-mini", tool_call="get_weather" if tool else None)


@pytest.fixture
def fuzz_log(log_path: Path) -> Any:
    """HILT instrumented to ``log_path``; the tests check every line themselves (split on b"\\n" only)."""
    hilt.instrument(filepath=str(log_path))
    yield log_path
    hilt.uninstrument()


@pytest.fixture
def internal_errors(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Production behaviour (internal errors are reported, not raised); yields the reports made meanwhile."""
    monkeypatch.delenv("HILT_RAISE_INTERNAL_ERRORS")
    reports: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: reports.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("hilt")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    yield reports
    logger.removeHandler(handler)
    logger.setLevel(level)


@FUZZ
@given(plan=mutations, tool=st.booleans())
def test_fuzzed_chat_replies(plan, tool, server, client, fuzz_log, internal_errors):
    """Chat replies with fields missing, None or odd: the call ends as without HILT and both lines are valid events."""
    key = f"chat-{uuid.uuid4()}"
    server.register_body(key, _encode(_mutated(replies.chat_completion({"messages": MESSAGES}, _options(tool)), plan)))
    _same_with_and_without_hilt(
        "create", client.chat.completions, server, _LogTail.of(fuzz_log),
        model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-fake-body": key},
    )


def _chat_stream_frames(plan: list[tuple[int, Any]], tool: bool) -> list[bytes]:
    payload = {"messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}}
    chunks = [json.loads(frame[len(b"data: "):]) for _, frame in replies.chat_frames(payload, _options(tool))[:-1]]
    chunks = _mutated(chunks, plan)
    chunks = chunks if isinstance(chunks, list) else [chunks]
    return [b"data: " + _encode(chunk) + b"\n\n" for chunk in chunks] + [b"data: [DONE]\n\n"]


@FUZZ
@given(plan=mutations, tool=st.booleans())
def test_fuzzed_chat_stream_chunks(plan, tool, server, client, fuzz_log, internal_errors):
    """Stream chunks with fields missing, None or odd: iterating ends as without HILT and both lines are valid events."""
    key = f"stream-{uuid.uuid4()}"
    server.register_body(key, _chat_stream_frames(plan, tool))
    _same_with_and_without_hilt(
        "create", client.chat.completions, server, _LogTail.of(fuzz_log),
        model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True},
        extra_headers={"x-fake-body": key},
    )


@pytest.mark.skipif(not hasattr(openai.OpenAI, "responses"), reason="the Responses API needs openai>=1.66")
@FUZZ
@given(plan=mutations, tool=st.booleans())
def test_fuzzed_responses_replies(plan, tool, server, client, fuzz_log, internal_errors):
    """Responses API replies with fields missing, None or odd: the call ends as without HILT, lines are valid events."""
    key = f"responses-{uuid.uuid4()}"
    final, _ = replies.response_and_events({"input": "Hello", "tools": [{"type": "function"}] if tool else []}, _options(tool))
    server.register_body(key, _encode(_mutated(final, plan)))
    _same_with_and_without_hilt(
        "create", client.responses, server, _LogTail.of(fuzz_log),
        model="gpt-4o-mini", input="Hello", extra_headers={"x-fake-body": key},
    )


class _Opaque:
    """An argument type no JSON encoder knows."""


unusual_argument = st.one_of(
    odd_value,
    st.sampled_from([b"bytes", (1, "two"), frozenset({1}), _Opaque(), Path("/tmp/x"), 1 + 2j, ..., float("nan")]),
)
odd_message = st.one_of(
    unusual_argument,
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "system", "assistant", "tool", "developer"]) | unusual_argument},
        optional={
            "content": st.one_of(
                unusual_argument,
                st.lists(st.fixed_dictionaries({"type": st.sampled_from(["text", "image_url"]), "text": unusual_argument}), max_size=2),
            ),
            "tool_calls": st.lists(st.fixed_dictionaries({"id": unusual_argument, "function": unusual_argument}), max_size=2),
            "name": unusual_argument,
        },
    ),
)
chat_arguments = st.fixed_dictionaries(
    {"messages": st.one_of(st.lists(odd_message, max_size=3), unusual_argument), "model": st.just("gpt-4o-mini") | unusual_argument},
    optional={
        "temperature": unusual_argument, "n": unusual_argument, "stop": unusual_argument, "user": unusual_argument,
        "metadata": unusual_argument, "tools": st.lists(unusual_argument, max_size=2), "seed": unusual_argument,
        "stream": st.sampled_from([True, False, None, 1, 0, "yes"]), "extra_body": unusual_argument,
    },
)


@FUZZ
@given(arguments=chat_arguments)
def test_fuzzed_chat_arguments(arguments, server, client, fuzz_log, internal_errors):
    """Odd argument types and values: the call ends as without HILT (the SDK's own error, or the same object)."""
    _same_with_and_without_hilt("create", client.chat.completions, server, _LogTail.of(fuzz_log), **arguments)


def _stream_chunks(tool: bool) -> list[dict[str, Any]]:
    payload = {"messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}}
    return [json.loads(frame[len(b"data: "):]) for _, frame in replies.chat_frames(payload, _options(tool))[:-1]]


def _odd_stream(change: str) -> list[bytes]:
    chunks = _stream_chunks(tool=False)
    if change == "content":
        chunks[1]["choices"][0]["delta"]["content"] = {"text": "not a string"}
    else:
        chunks[1]["choices"][0]["index"] = "0"
    return [b"data: " + _encode(chunk) + b"\n\n" for chunk in chunks] + [b"data: [DONE]\n\n"]


def _odd_reply(change: str) -> bytes:
    body = replies.chat_completion({"messages": MESSAGES}, _options(tool=True))
    if change == "tool_calls":
        body["choices"][0]["message"]["tool_calls"] = 1
    else:
        body["choices"][0]["message"]["tool_calls"][0]["id"] = ["call", "id"]
    return _encode(body)


# Shapes the fuzz tests found that HILT used to survive but record only in part (the completion event lost,
# an internal error reported): the chat extractor now keeps only well-typed indexes, ids and texts.
@pytest.mark.parametrize(
    ("stream", "change"),
    [(True, "content"), (True, "choice index"), (False, "tool_calls"), (False, "tool-call id")],
)
def test_odd_chat_shapes_are_recorded_without_an_internal_error(stream, change, server, client, fuzz_log, internal_errors):
    """A chat reply with one odd field still gives a prompt and a completion event, with no internal error reported."""
    key = f"odd-{uuid.uuid4()}"
    server.register_body(key, _odd_stream(change) if stream else _odd_reply(change))
    options = {"stream": True} if stream else {}
    result = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-fake-body": key}, **options)
    if stream:
        list(result)
    assert [e["action"] for e in _LogTail.of(fuzz_log).new_events()] == ["prompt", "completion"]
    assert [m for m in internal_errors if m.startswith("HILT could not")] == []
