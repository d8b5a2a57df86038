"""Session: the README reading snippet, modes, bad lines, and files written by the reference implementation."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

import hilt
from hilt import Event, HILTError, LogReadError, Session
from hilt.testing import read_lines

SID = "conv_0123456789ab"
PROMPT_ID = "01900000-0000-7000-8000-000000000001"
COMPLETION_ID = "01900000-0000-7000-8000-000000000002"


def prompt(**extra: object) -> Event:
    return Event(event_id=PROMPT_ID, session_id=SID, actor={"type": "human", "id": "user"}, action="prompt",
                 content={"text": "Hello"}, **extra)


def completion() -> Event:
    return Event(
        event_id=COMPLETION_ID,
        session_id=SID,
        actor={"type": "agent", "id": "openai", "name": "gpt-4o-mini"},
        action="completion",
        content={"text": "Hi there"},
        metrics={"tokens": {"prompt": 11, "completion": 7, "total": 18}, "cost_usd": 0.0000059, "latency_ms": 9},
        extensions={"reply_to": PROMPT_ID, "status_code": 200},
    )


def test_readme_snippet_verbatim(tmp_path: Path) -> None:
    """The README's reading snippet runs unchanged over a prompt and a completion and sees their values."""
    path = tmp_path / "logs" / "prod.jsonl"
    with Session(path, mode="w") as session:
        session.append(prompt())
        session.append(completion())
    seen = []
    with Session(path, mode="r") as session:
        for event in session.read():
            event.extensions.get("status_code")
            event.metrics.cost_usd
            event.metrics.tokens.get("total", 0)
            event.content.text
            seen.append((event.extensions.get("status_code"), event.metrics.cost_usd,
                         event.metrics.tokens.get("total", 0), event.content.text))
    assert seen == [(None, None, 0, "Hello"), (200, 0.0000059, 18, "Hi there")]


def test_append_writes_the_to_dict_shape(tmp_path: Path) -> None:
    """append writes one line per event, equal to Event.to_dict, and accepts dicts too."""
    path = tmp_path / "a.jsonl"
    first, second = prompt(), completion()
    with Session(path) as session:
        session.append(first)
        session.append(second.to_dict())
    assert read_lines(path) == [first.to_dict(), second.to_dict()]
    assert path.read_bytes() == (first.to_json() + "\n" + second.to_json() + "\n").encode()


def test_append_mode_keeps_existing_lines(tmp_path: Path) -> None:
    """Mode "a" (the default) adds to an existing file."""
    path = tmp_path / "a.jsonl"
    with Session(path, mode="a") as session:
        session.append(prompt())
    with Session(path) as session:
        assert session.mode == "a"
        session.append(completion())
    assert [e["event_id"] for e in read_lines(path)] == [PROMPT_ID, COMPLETION_ID]


def test_write_mode_truncates(tmp_path: Path) -> None:
    """Mode "w" empties an existing file when opened, even if nothing is appended."""
    path = tmp_path / "w.jsonl"
    with Session(path, mode="a") as session:
        session.append(prompt())
        session.append(completion())
    with Session(path, mode="w") as session:
        session.append(completion())
    assert [e["event_id"] for e in read_lines(path)] == [COMPLETION_ID]
    with Session(path, mode="w"):
        pass
    assert path.read_bytes() == b""


def test_write_mode_does_not_truncate_again_after_close(tmp_path: Path) -> None:
    """An append after close() on a "w" session reopens the file for appending, keeping earlier events."""
    path = tmp_path / "w.jsonl"
    session = Session(path, mode="w")
    session.append(prompt())
    session.close()
    session.append(completion())
    session.close()
    assert [e["event_id"] for e in read_lines(path)] == [PROMPT_ID, COMPLETION_ID]


def test_read_mode_on_missing_file_raises(tmp_path: Path) -> None:
    """Opening a missing file in mode "r" raises FileNotFoundError naming it, and creates nothing."""
    path = tmp_path / "missing" / "x.jsonl"
    with pytest.raises(FileNotFoundError, match="x.jsonl"):
        with Session(path, mode="r"):
            pass
    assert not path.parent.exists()


def test_append_in_read_mode_raises(tmp_path: Path) -> None:
    """append on a mode "r" session raises HILTError and leaves the file unchanged."""
    path = tmp_path / "r.jsonl"
    path.write_text(prompt().to_json() + "\n", encoding="utf-8")
    before = path.read_bytes()
    with Session(path, mode="r") as session:
        with pytest.raises(HILTError, match="mode='r'"):
            session.append(completion())
    assert path.read_bytes() == before


def test_bad_mode_is_rejected(tmp_path: Path) -> None:
    """A mode other than a, w, r raises ValueError."""
    with pytest.raises(ValueError, match="mode must be"):
        Session(tmp_path / "x.jsonl", mode="x")  # type: ignore[arg-type]


def test_new_file_and_folders_are_private(tmp_path: Path) -> None:
    """A session creates missing parent folders (0700) and the file (0600)."""
    path = tmp_path / "deep" / "er" / "s.jsonl"
    with Session(path, mode="w") as session:
        session.append(prompt())
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "deep").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "deep" / "er").stat().st_mode & 0o777 == 0o700


def _write_with_bad_lines(path: Path) -> None:
    good = [prompt().to_json(), completion().to_json()]
    path.write_bytes(
        (good[0] + "\n").encode()
        + b"{this is not json\n"  # line 2: corrupt
        + b"\n"  # line 3: blank, skipped silently
        + b'{"session_id": "s", "actor": {"type": "robot", "id": "x"}, "action": "prompt"}\n'  # line 4: not an event
        + (good[1] + "\n").encode()  # line 5
        + good[1][: len(good[1]) // 2].encode()  # line 6: truncated by a crash, no newline
    )


def test_bad_lines_are_reported_with_line_numbers_and_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Corrupt, invalid and truncated lines are logged on the hilt logger with their line numbers; the rest is read."""
    path = tmp_path / "bad.jsonl"
    _write_with_bad_lines(path)
    with caplog.at_level(logging.WARNING, logger="hilt"):
        with Session(path, mode="r") as session:
            events = list(session.read())
    assert [e.event_id for e in events] == [PROMPT_ID, COMPLETION_ID]
    records = [r for r in caplog.records if r.name == "hilt"]
    assert [r.levelno for r in records] == [logging.WARNING] * 3
    messages = [r.getMessage() for r in records]
    assert messages[0].startswith(f"{path}:2: skipped a line that is not a HILT event: invalid JSON: ")
    assert messages[1] == f"{path}:4: skipped a line that is not a HILT event: actor.type: " + (
        "Input should be 'human', 'agent', 'tool' or 'system'"
    )
    assert messages[2] == f"{path}:6: skipped a line that is not a HILT event: truncated line (JSONDecodeError)"


def test_strict_read_raises_log_read_error(tmp_path: Path) -> None:
    """read(strict=True) raises LogReadError naming the file and the first bad line, after yielding the good ones."""
    path = tmp_path / "bad.jsonl"
    _write_with_bad_lines(path)
    seen = []
    with Session(path, mode="r") as session:
        with pytest.raises(LogReadError) as caught:
            for event in session.read(strict=True):
                seen.append(event.event_id)
    assert seen == [PROMPT_ID]
    error = caught.value
    assert isinstance(error, hilt.HILTError)
    assert error.path == str(path)
    assert error.line == 2
    assert str(error).startswith(f"{path}:2: invalid JSON: ")


def test_strict_read_names_a_truncated_last_line(tmp_path: Path) -> None:
    """A truncated last line in strict mode raises LogReadError for that line, saying it is truncated."""
    path = tmp_path / "t.jsonl"
    line = completion().to_json()
    path.write_bytes((prompt().to_json() + "\n" + line[:40]).encode())
    with pytest.raises(LogReadError) as caught:
        list(Session(path, mode="r").read(strict=True))
    assert (caught.value.path, caught.value.line) == (str(path), 2)
    assert caught.value.reason == "truncated line (JSONDecodeError)"


def test_reads_a_file_written_by_hilt_python_0_2_8(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Two lines in the reference 0.2.8 format (no hilt_version, string cost, cost_usd_display) read fine."""
    path = tmp_path / "ref.jsonl"
    path.write_text(
        '{"event_id": "62f7a1b2-0000-4000-8000-000000000001", "timestamp": "2026-11-27T02:36:43.418570+00:00", '
        '"session_id": "conv_42aac502b978", "actor": {"type": "human", "id": "user"}, "action": "prompt", '
        '"content": {"text": "Hello"}}\n'
        '{"event_id": "2fc9a1b2-0000-4000-8000-000000000002", "timestamp": "2026-11-27T02:36:43.428517+00:00", '
        '"session_id": "conv_42aac502b978", "actor": {"type": "agent", "id": "openai"}, "action": "completion", '
        '"content": {"text": "Hi there"}, "metrics": {"tokens": {"prompt": 11, "completion": 7, "total": 18}, '
        '"cost_usd": "0.000006", "cost_usd_display": "0,000006 USD"}, "extensions": {"reply_to": '
        '"62f7a1b2-0000-4000-8000-000000000001", "model": "gpt-4o-mini", "latency_ms": 9, "status_code": 200}}\n',
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="hilt"):
        with Session(path, mode="r") as session:
            events = list(session.read(strict=True))
    assert caplog.records == []
    first, second = events
    assert (first.action, first.actor.type, first.actor.id, first.content.text) == ("prompt", "human", "user", "Hello")
    assert first.metrics.tokens.get("total", 0) == 0
    assert first.extensions.get("status_code") is None
    assert first.hilt_version == "1.0.0"
    assert (second.action, second.actor.id, second.content.text) == ("completion", "openai", "Hi there")
    assert second.session_id == "conv_42aac502b978"
    assert second.metrics.tokens == {"prompt": 11, "completion": 7, "total": 18}
    assert second.metrics.cost_usd == 0.000006
    assert second.metrics.model_extra == {"cost_usd_display": "0,000006 USD"}
    assert second.extensions == {"reply_to": "62f7a1b2-0000-4000-8000-000000000001", "model": "gpt-4o-mini",
                                 "latency_ms": 9, "status_code": 200}
    assert second.timestamp.isoformat() == "2026-11-27T02:36:43.428517+00:00"


def test_threads_share_one_session(tmp_path: Path) -> None:
    """Eight threads appending through one "w" session write every event exactly once, as whole lines."""
    path = tmp_path / "threads.jsonl"
    session = Session(path, mode="w")

    def work(n: int) -> None:
        for i in range(200):
            session.append(Event(session_id=f"t{n}", actor={"type": "tool", "id": str(i)}, action="tool_call",
                                 content={"text": "x" * (i * 37 % 5000)}))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    session.close()
    events = list(Session(path, mode="r").read(strict=True))
    assert len(events) == 1600
    assert sorted((e.session_id, e.actor.id) for e in events) == sorted(
        (f"t{n}", str(i)) for n in range(8) for i in range(200))
