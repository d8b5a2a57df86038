"""``sample_rate``: whole conversations kept or dropped by their id, failed calls always kept, and
``hilt logs stats`` scaling the kept calls back up."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt import ConfigError
from hilt._config import load_settings
from hilt._sampling import keeps_conversation
from hilt.logs import summarize
from hilt.testing import read_lines


def kept_by_hash(conversation_id: str, rate: float) -> bool:
    """The documented rule, written out independently: the first 8 bytes of BLAKE2b as a fraction of 2**64."""
    digest = hashlib.blake2b(conversation_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") < rate * 2**64


def conversation_ids(rate: float, kept: bool, count: int) -> list[str]:
    """The first ``count`` ids ``conv-<n>`` that the rule keeps (or drops) at ``rate``."""
    ids = (f"conv-{n}" for n in range(10_000))
    return [i for i in ids if kept_by_hash(i, rate) is kept][:count]


def ask(client: Any, text: str = "hi", **headers: str) -> None:
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}], extra_headers=headers or None
    )


def test_whole_conversations_are_kept_or_dropped_and_marked_with_the_rate(client: Any, log_path: Path) -> None:
    """At 0.5 every call of a kept conversation is written with extensions.sample_rate; a dropped one leaves nothing."""
    kept, dropped = conversation_ids(0.5, True, 3), conversation_ids(0.5, False, 3)
    hilt.instrument(filepath=str(log_path), sample_rate=0.5)
    for conversation_id in [*kept, *dropped]:
        with hilt.conversation(id=conversation_id):
            ask(client, "first")
            ask(client, "second")
    hilt.uninstrument()
    events = read_lines(log_path)
    assert [e["session_id"] for e in events] == [i for i in kept for _ in range(4)]
    assert {e["extensions"]["sample_rate"] for e in events} == {0.5}


def test_failed_calls_of_dropped_conversations_are_kept_with_their_prompt(client: Any, log_path: Path) -> None:
    """In a dropped conversation a failing call still writes its prompt, then its error event (a stream failing midway too)."""
    (dropped,) = conversation_ids(0.25, False, 1)
    hilt.instrument(filepath=str(log_path), sample_rate=0.25)
    with hilt.conversation(id=dropped):
        ask(client, "fine")
        with pytest.raises(Exception, match="500"):
            ask(client, "server error", **{"x-fake-status": "500"})
        with pytest.raises(Exception):
            for _ in client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "broken stream"}], stream=True,
                extra_headers={"x-fake-stream-error-after": "1"},
            ):
                pass
        ask(client, "fine again")
    hilt.uninstrument()
    events = read_lines(log_path)
    assert [(e["action"], e.get("content", {}).get("text", "")[:13]) for e in events] == [
        ("prompt", "server error"), ("system", "InternalServe"), ("prompt", "broken stream"), ("completion", "Hello!"),
    ]  # fmt: skip
    assert [events[1]["extensions"]["reply_to"], events[3]["extensions"]["reply_to"]] == [events[0]["event_id"], events[2]["event_id"]]
    assert [e["extensions"]["sample_rate"] for e in events] == [0.25] * 4
    assert events[3]["extensions"]["status"] == "error"


def test_continued_conversations_without_an_id_are_sampled_whole(client: Any, log_path: Path) -> None:
    """A call that continues an earlier one's messages joins its conversation, so both are kept or both dropped."""
    hilt.instrument(filepath=str(log_path), sample_rate=0.5)
    for n in range(12):
        first = [{"role": "user", "content": f"question {n}"}]
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=first)
        follow_up = [*first, {"role": "assistant", "content": reply.choices[0].message.content}, {"role": "user", "content": "more"}]
        client.chat.completions.create(model="gpt-4o-mini", messages=follow_up)
    hilt.uninstrument()
    by_conversation: dict[str, int] = {}
    for event in read_lines(log_path):
        by_conversation[event["session_id"]] = by_conversation.get(event["session_id"], 0) + 1
    assert set(by_conversation.values()) == {4}
    assert 0 < len(by_conversation) < 12
    assert all(kept_by_hash(conversation_id, 0.5) for conversation_id in by_conversation)


def test_the_decision_is_the_same_in_every_process() -> None:
    """Another interpreter (another hash seed) decides the same for 2000 ids, and keeps about the rate."""
    ids = [f"conversation-{n}" for n in range(2000)]
    here = [keeps_conversation(i, 0.3) for i in ids]
    code = "import json, sys; from hilt._sampling import keeps_conversation as k; print(json.dumps([k(i, 0.3) for i in json.load(sys.stdin)]))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    child = subprocess.run([sys.executable, "-c", code], input=json.dumps(ids), capture_output=True, text=True, env=env, check=True)
    assert json.loads(child.stdout) == here == [kept_by_hash(i, 0.3) for i in ids]
    assert 540 <= sum(here) <= 660


def test_rate_one_adds_nothing_and_rate_zero_keeps_only_failures(client: Any, log_path: Path, tmp_path: Path) -> None:
    """sample_rate 1 (the default) writes no sample_rate key; 0 writes only the failed calls."""
    hilt.instrument(filepath=str(log_path))
    ask(client)
    hilt.uninstrument()
    assert ["sample_rate" in e["extensions"] for e in read_lines(log_path)] == [False, False]
    zero = tmp_path / "zero.jsonl"
    hilt.instrument(filepath=str(zero), sample_rate=0)
    ask(client)
    with pytest.raises(Exception, match="429"):
        ask(client, "limited", **{"x-fake-status": "429"})
    hilt.uninstrument()
    assert [(e["action"], e["extensions"]["sample_rate"]) for e in read_lines(zero)] == [("prompt", 0.0), ("system", 0.0)]


def test_stats_scale_sampled_calls_and_keep_the_recorded_sums(client: Any, log_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Kept calls count 1/rate times in calls, tokens and cost, failed calls once; the exact sums stay under "recorded"."""
    kept, (dropped,) = conversation_ids(0.5, True, 2), conversation_ids(0.5, False, 1)
    hilt.instrument(filepath=str(log_path), sample_rate=0.5)
    for conversation_id in kept:
        with hilt.conversation(id=conversation_id):
            ask(client)
    with hilt.conversation(id=dropped), pytest.raises(Exception, match="500"):
        ask(client, "fails", **{"x-fake-status": "500"})
    hilt.uninstrument()
    replies = [e for e in read_lines(log_path) if e["action"] != "prompt"]
    tokens = sum(e["metrics"]["tokens"]["total"] for e in replies if e["action"] == "completion")
    cost = sum(e["metrics"]["cost_usd"] for e in replies if e["action"] == "completion")
    summary = summarize([log_path])
    assert (summary["calls"], summary["errors"], summary["error_rate"], summary["sampled"], summary["sampled_calls"]) == (5, 1, 0.2, True, 2)
    assert summary["tokens"]["total"] == 2 * tokens and summary["cost_usd"] == round(2 * cost, 9)
    assert summary["recorded"] == {"calls": 3, "tokens": {**summary["recorded"]["tokens"], "total": tokens}, "cost_usd": round(cost, 9)}
    assert summary["pending"] == 0
    from hilt.cli import main

    assert main(["logs", "stats", str(log_path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["calls"], printed["sampled"], printed["recorded"]["calls"]) == (5, True, 3)
    note = f"estimates from 2 sampled calls (failed calls count once); recorded: 3 calls, {tokens} tokens"
    for extra in ([], ["--by", "model"]):
        assert main(["logs", "stats", str(log_path), *extra]) == 0
        assert note in capsys.readouterr().out


def test_unsampled_logs_have_no_sampling_keys(client: Any, log_path: Path) -> None:
    """Without sampling the summary has exactly the keys it always had."""
    hilt.instrument(filepath=str(log_path))
    ask(client)
    hilt.uninstrument()
    assert not {"sampled", "sampled_calls", "recorded"} & set(summarize([log_path]))


@pytest.mark.parametrize(("raw", "rate"), [("0.25", 0.25), ("0", 0.0), ("1", 1.0), (" .5 ", 0.5)])
def test_sample_rate_from_the_environment(raw: str, rate: float, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """HILT_SAMPLE_RATE takes a number from 0 to 1."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HILT_SAMPLE_RATE", raw)
    assert load_settings().sample_rate == rate


@pytest.mark.parametrize("value", [1.5, -0.1, True, "half", float("nan")])
def test_sample_rate_out_of_range_is_refused(value: Any) -> None:
    """A rate outside 0..1, a boolean or a word is a ConfigError naming the expected range."""
    with pytest.raises(ConfigError) as info:
        load_settings({"sample_rate": value})
    assert str(info.value) == f"instrument(): sample_rate: expected a number from 0 to 1 (the share of conversations kept), got {value!r}"


def test_an_untrusted_project_file_cannot_set_the_rate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """sample_rate in an untrusted ./hilt.toml is ignored (it changes what the user's own counts mean)."""
    (tmp_path / "hilt.toml").write_text("sample_rate = 0.01\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert (settings.sample_rate, settings.sources["sample_rate"]) == (1.0, "default")
