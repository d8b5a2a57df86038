"""instrument()/uninstrument(): idempotent, exact restore, and never breaking the host application."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import openai
import pytest
import wrapt

import hilt
from hilt.instrumentation import current
from hilt.testing import read_lines

CHAT_CLASS = openai.resources.chat.completions.Completions
MESSAGES = [{"role": "user", "content": "Hello"}]


def _raw_create():
    return CHAT_CLASS.__dict__["create"]


LAZY_SDK_MODULES = """
import json, sys
order, base_url, log = sys.argv[1:4]
if order == "openai first":
    import openai
before = {name for name in sys.modules if name.startswith("openai")}
import hilt
hilt.instrument(filepath=log)
new = sorted(name for name in sys.modules if name.startswith("openai") and name not in before)
import openai
client = openai.OpenAI(base_url=base_url, api_key="k", max_retries=0)
client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
client.embeddings.create(model="text-embedding-3-small", input="Hi")
print(json.dumps(new))
"""


@pytest.mark.parametrize("order", ["openai first", "instrument first"])
def test_instrument_imports_no_sdk_module_and_patches_each_as_the_sdk_imports_it(order, server, tmp_path):
    """instrument() imports none of the SDK's resource modules (it used to import all of them: about 0.8 s and
    60,000 objects for the garbage collector); chat and embeddings, imported by the SDK on first use, are recorded."""
    log = tmp_path / "events.jsonl"
    env = {key: value for key, value in os.environ.items() if not key.startswith("HILT_")}
    done = subprocess.run(
        [sys.executable, "-c", LAZY_SDK_MODULES, order, server.base_url, str(log)], capture_output=True, text=True, env=env
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "[]\n"
    events = read_lines(log)
    assert [(e["action"], e["provenance"]["endpoint"]) for e in events] == [
        ("prompt", "chat.completions.create"), ("completion", "chat.completions.create"),
        ("prompt", "embeddings.create"), ("completion", "embeddings.create"),
    ]  # fmt: skip


def test_uninstrument_restores_the_exact_original():
    """uninstrument() puts back the very function object that was there before."""
    original = _raw_create()
    hilt.instrument(filepath=os.devnull)
    assert isinstance(_raw_create(), wrapt.FunctionWrapper)
    hilt.uninstrument()
    assert _raw_create() is original
    hilt.uninstrument()  # a second call does nothing
    assert _raw_create() is original


def test_instrument_twice_is_one_layer(log_path, client):
    """Calling instrument() twice wraps once and writes one pair per call, to the newest file."""
    first = log_path.with_name("first.jsonl")
    hilt.instrument(filepath=str(first))
    wrapper = _raw_create()
    hilt.instrument(filepath=str(log_path))
    assert _raw_create() is wrapper
    assert not isinstance(wrapper.__wrapped__, wrapt.FunctionWrapper)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert [e["action"] for e in read_lines(log_path)] == ["prompt", "completion"]
    assert read_lines(first) == []


def test_instrument_twice_does_not_leak_file_descriptors(log_path, client):
    """Re-instrumenting closes the previous writer's file."""
    fd_dir = "/proc/self/fd"
    if not os.path.isdir(fd_dir):
        pytest.skip("needs /proc")
    hilt.instrument(filepath=str(log_path))
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    before = len(os.listdir(fd_dir))
    for _ in range(5):
        hilt.instrument(filepath=str(log_path))
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(os.listdir(fd_dir)) == before


def test_client_created_before_instrument_is_covered(log_path, server):
    """A client built before instrument() is logged too (the patch is on the class)."""
    early = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)
    hilt.instrument(filepath=str(log_path))
    early.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    early.close()
    assert len(read_lines(log_path)) == 2


def test_another_wrapper_on_top_is_left_alone(log_path, client):
    """If another library wrapped on top of HILT, uninstrument() switches HILT off without removing theirs."""
    original = _raw_create()
    hilt.instrument(filepath=str(log_path))
    calls = []

    def other(wrapped, instance, args, kwargs):
        calls.append(1)
        return wrapped(*args, **kwargs)

    wrapt.wrap_function_wrapper(CHAT_CLASS, "create", other)
    outer = _raw_create()
    try:
        hilt.uninstrument()
        assert _raw_create() is outer
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert calls == [1]
        assert read_lines(log_path) == []
        hilt.instrument(filepath=str(log_path))  # switched back on, not stacked again
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert len(read_lines(log_path)) == 2
    finally:
        hilt.uninstrument()
        setattr(CHAT_CLASS, "create", original)


def test_write_failure_never_breaks_the_call(tmp_path, client, caplog):
    """An unwritable log folder is reported once on the hilt logger; every call still returns normally."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    hilt.instrument(filepath=str(blocker / "sub" / "events.jsonl"))
    with caplog.at_level(logging.DEBUG, logger="hilt"):
        for _ in range(3):
            response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            assert response.choices[0].message.content == "Hello! How can I help you today?"
    warnings = [r for r in caplog.records if r.name == "hilt" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "write an event" in warnings[0].getMessage()


def test_folder_deleted_while_running(log_path, client):
    """Deleting the log folder mid-run loses nothing afterwards: the file is recreated."""
    hilt.instrument(filepath=str(log_path))
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    current().pipeline.writers[0].close()
    log_path.unlink()
    log_path.parent.rmdir()
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert [e["action"] for e in read_lines(log_path)] == ["prompt", "completion"]


def test_internal_faults_are_contained(instrumented, client, monkeypatch, caplog):
    """A bug in HILT's request or response path is logged; the application's call returns the normal object."""
    monkeypatch.delenv("HILT_RAISE_INTERNAL_ERRORS")
    import hilt.providers.openai as provider
    from hilt.instrumentation._recorder import Recorder

    def broken(*args, **kwargs):
        raise RuntimeError("HILT bug")

    with caplog.at_level(logging.WARNING, logger="hilt"):
        monkeypatch.setattr(Recorder, "_observe", broken)
        response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert type(response) is openai.types.chat.ChatCompletion
        monkeypatch.setattr(provider, "describe_client", broken)
        response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert response.choices[0].message.content == "Hello! How can I help you today?"
    messages = [r.getMessage() for r in caplog.records if r.name == "hilt"]
    assert any("record a response" in m and "HILT bug" in m for m in messages)
    assert any("record a request" in m and "HILT bug" in m for m in messages)


@pytest.mark.parametrize("stream", [False, True])
def test_a_reply_hilt_cannot_read_is_still_recorded(log_path, client, monkeypatch, caplog, stream):
    """A fault while reading the reply (extractor or stream accumulator) still writes the completion event,
    with status and latency, marked capture_failed, and the application gets its object unchanged."""
    import dataclasses

    from hilt.providers.openai import EXTRACTORS, _chat

    def broken(*args, **kwargs):
        raise RuntimeError("HILT bug")

    monkeypatch.delenv("HILT_RAISE_INTERNAL_ERRORS")
    if stream:
        monkeypatch.setattr(_chat.ChatStreamAccumulator, "apply", broken)
    else:
        monkeypatch.setitem(EXTRACTORS, "chat", dataclasses.replace(EXTRACTORS["chat"], capture_response=broken))
    hilt.instrument(filepath=str(log_path))
    with caplog.at_level(logging.WARNING, logger="hilt"):
        result = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=stream)
        if stream:
            assert "".join(c.choices[0].delta.content or "" for c in result if c.choices) == "Hello! How can I help you today?"
        else:
            assert result.choices[0].message.content == "Hello! How can I help you today?"
    hilt.uninstrument()
    prompt, completion = read_lines(log_path)
    assert (completion["action"], completion["extensions"]["status_code"]) == ("completion", 200)
    assert completion["extensions"]["reply_to"] == prompt["event_id"]
    assert completion["extensions"]["capture_failed"] == "RuntimeError"
    assert any("read a response" in r.getMessage() and "HILT bug" in r.getMessage() for r in caplog.records if r.name == "hilt")


def test_exported_names():
    """hilt.__all__ is the sorted public surface and every name resolves."""
    assert hilt.__all__ == sorted(hilt.__all__)
    for name in hilt.__all__:
        assert getattr(hilt, name) is not None

