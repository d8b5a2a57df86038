"""``hilt logs tail``, ``show`` and ``search``: readable calls, transcripts, following a growing log."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli._make import append_events, call, write_log
from tests.cli._run import read_output_lines, running_cli


def test_tail_prints_the_last_calls_oldest_first(hilt_cli, known_log: Path) -> None:
    """tail -n 2 prints the last two calls, one line each, with time, model, status, tokens, cost, latency and text."""
    done = hilt_cli("logs", "tail", "-n", "2", str(known_log))
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("2026-11-30 09:00:00  my-finetune")
    assert "ok 200" in lines[0] and "40→10 tok" in lines[0] and " n/a " in lines[0] and "200 ms" in lines[0]
    assert lines[0].endswith("custom model → custom answer")
    assert lines[1].startswith("2026-11-27 02:36:43  gpt-4o-mini")
    assert "11→7 tok" in lines[1] and "$0.000006" in lines[1] and "9 ms" in lines[1]
    assert lines[1].endswith("Hello → Hi there")


def test_tail_json_lines_are_flat_calls(hilt_cli, known_log: Path) -> None:
    """tail --json prints one JSON object per call with the call columns."""
    done = hilt_cli("logs", "tail", "-n", "3", "--errors", str(known_log), "--json")
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 1
    assert rows[0]["status"] == "error" and rows[0]["status_code"] == 429
    assert rows[0]["prompt"] == "rate me" and rows[0]["user"] == "bob" and rows[0]["cost_usd"] is None


def test_tail_on_a_real_log(hilt_cli, real_log: Path) -> None:
    """On a log from real SDK calls, tail shows each call's prompt and answer, and the 429 as an error."""
    lines = hilt_cli("logs", "tail", str(real_log)).stdout.splitlines()
    assert len(lines) == 4
    assert lines[0].endswith("Plan a day in Porto. → Walk the Ribeira.")
    assert lines[1].endswith("And in the evening? → A port cellar.")
    assert lines[2].endswith("A haiku please → Old river, new light")
    assert "error 429" in lines[3] and "again? → RateLimitError" in lines[3]


def test_tail_follow_across_rotation_and_truncation(tmp_path: Path) -> None:
    """tail -f prints a new call within 200 ms, keeps following after the file is rotated away and
    replaced, and after it is truncated in place."""
    log = write_log(tmp_path / "app.jsonl", call("conv_1", "2026-11-29T10:00:00Z", "before", "old"))
    with running_cli("logs", "tail", "-f", "-n", "1", "--no-rotated", str(log)) as process:
        assert read_output_lines(process.stdout, 1)[0].endswith("before → old")
        delays = []
        for step, prompt in enumerate(("appended", "rotated", "truncated")):
            if prompt == "rotated":
                os.rename(log, tmp_path / "app.jsonl.1")
                log.write_text("")
            if prompt == "truncated":
                log.write_text("")
            time.sleep(0.3)  # let the follower see the new or emptied file first
            started = time.monotonic()
            append_events(log, call(f"conv_{step}", "2026-11-29T11:00:00Z", prompt, "new"))
            line = read_output_lines(process.stdout, 1)[0]
            delays.append(time.monotonic() - started)
            assert line.endswith(f"{prompt} → new")
        assert max(delays) < 0.2, delays


def test_tail_follow_waits_for_a_log_not_written_yet(tmp_path: Path) -> None:
    """tail -f on a file that does not exist yet waits, then prints the calls once it is written."""
    log = tmp_path / "later.jsonl"
    with running_cli("logs", "tail", "-f", str(log)) as process:
        time.sleep(1.0)  # the command is up and polling
        append_events(log, call("conv_late", "2026-11-29T10:00:00Z", "late", "arrival"))
        assert read_output_lines(process.stdout, 1)[0].endswith("late → arrival")


def test_show_prints_a_transcript_by_unique_prefix(hilt_cli, real_log: Path) -> None:
    """show with a prefix of the conversation id prints each message once: roles, the new messages, the answer."""
    events = [json.loads(line) for line in real_log.read_text().splitlines()]
    conversation = events[0]["session_id"]
    done = hilt_cli("logs", "show", conversation[:-4], str(real_log))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.splitlines()[0] == f"Conversation {conversation}"
    assert out.count("user: Plan a day in Porto.") == 1
    assert out.count("assistant: Walk the Ribeira.") == 1
    assert out.count("user: And in the evening?") == 1
    assert "assistant: A port cellar." in out
    assert out.count("user: A haiku please") == 1  # the stream, inside the same conversation block
    assert "[3] " in out and "[4] " not in out


def test_show_last_is_the_newest_conversation(hilt_cli, known_log: Path) -> None:
    """show --last prints the conversation of the last event (here the hilt-python 0.2.8 one)."""
    done = hilt_cli("logs", "show", "--last", str(known_log))
    assert done.stdout.splitlines()[0] == "Conversation conv_42aac502b978"
    assert "user: Hello" in done.stdout and "assistant: Hi there" in done.stdout


def test_show_unknown_or_ambiguous_prefix_exits_1(hilt_cli, known_log: Path) -> None:
    """A prefix matching several conversations, or none, is an error naming them (exit status 1)."""
    ambiguous = hilt_cli("logs", "show", "conv_", str(known_log))
    assert ambiguous.returncode == 1
    assert "matches 3 conversations (conv_42aac502b978, conv_aaa111, conv_bbb222)" in ambiguous.stderr
    missing = hilt_cli("logs", "show", "conv_zzz", str(known_log))
    assert missing.returncode == 1
    assert "no conversation id starts with 'conv_zzz'" in missing.stderr


def test_show_json(hilt_cli, known_log: Path) -> None:
    """show --json gives the conversation id, one row per call and the raw events."""
    data = json.loads(hilt_cli("logs", "show", "conv_aaa", str(known_log), "--json").stdout)
    assert data["conversation_id"] == "conv_aaa111"
    assert [c["prompt"] for c in data["calls"]] == ["first question", "second question"]
    assert [e["action"] for e in data["events"]] == ["prompt", "completion", "prompt", "completion"]


def test_search_newest_first(hilt_cli, known_log: Path) -> None:
    """search finds calls by prompt or answer text, case-insensitively, newest first."""
    lines = hilt_cli("logs", "search", "QUESTION", str(known_log)).stdout.splitlines()
    assert [line.rsplit("  ", 1)[-1] for line in lines] == [
        "second question → second answer",
        "first question → first answer",
    ]
    assert hilt_cli("logs", "search", "custom answer", str(known_log), "--json").stdout.count("\n") == 1


HOSTILE = "hi\x1b[2J\x1b]0;pwned\x07there\x9b31m\u202eevil\x07"


@pytest.mark.parametrize(
    "command",
    [
        ["tail"],
        ["search", "hi"],
        ["show", "conv_"],
        ["stats", "--by", "model"],
        ["stats", "--by", "user"],
        ["sql", "SELECT message, model FROM events"],
    ],
)
def test_control_sequences_are_escaped(hilt_cli, tmp_path: Path, command: list[str]) -> None:
    """A prompt, answer, model or user name holding ESC[2J, an OSC title, BEL, a C1 CSI or a bidi override
    is printed with those characters escaped, so the terminal cannot be rewritten."""
    log = write_log(
        tmp_path / "hostile.jsonl",
        call("conv_" + "x" * 4, "2026-11-29T10:00:00Z", HOSTILE, HOSTILE, model=HOSTILE, user=HOSTILE),
    )
    done = hilt_cli("logs", *command, str(log))
    assert done.returncode == 0, done.stderr
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in done.stdout
    assert "\\x1b[2J" in done.stdout and "\\x07" in done.stdout


def test_json_output_escapes_controls_and_keeps_the_data(hilt_cli, tmp_path: Path) -> None:
    """--json output holds no raw control character, and parses back to the exact logged text."""
    log = write_log(tmp_path / "hostile.jsonl", call("conv_x", "2026-11-29T10:00:00Z", HOSTILE, "ok"))
    done = hilt_cli("logs", "tail", str(log), "--json")
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in done.stdout
    assert json.loads(done.stdout)["prompt"] == HOSTILE


def _run_in_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run ``python -m hilt.cli ARGS`` with a pseudo-terminal as stdout; return what it printed."""
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "hilt.cli", *args],
            stdout=follower,
            stderr=subprocess.PIPE,
            env={**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, "PYTHONIOENCODING": "utf-8", **env},
            timeout=60,
            check=True,
        )
        assert done.returncode == 0
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode("utf-8")
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)


def test_terminal_output_has_colour_unless_no_color(tmp_path: Path) -> None:
    """On a terminal, tail colours the status (green ok) and escapes logged controls; a non-empty NO_COLOR turns colour off;
    stats draws a bold header over a rule; export to a terminal escapes controls too."""
    log = write_log(tmp_path / "t.jsonl", call("conv_t", "2026-11-29T10:00:00Z", HOSTILE, "fine"))
    coloured = _run_in_terminal(["logs", "tail", str(log)], {"TERM": "xterm"})
    assert "\x1b[32mok 200" in coloured
    assert "\x1b" not in re.sub(r"\x1b\[[0-9;]*m", "", coloured)  # only HILT's own colour codes
    assert "hi\\x1b[2J\\x1b]0;pwned\\x07there" in coloured  # the logged controls, shown as text
    plain = _run_in_terminal(["logs", "tail", str(log)], {"NO_COLOR": "1", "TERM": "xterm"})
    assert "\x1b" not in plain
    empty = _run_in_terminal(["logs", "tail", str(log)], {"NO_COLOR": "", "TERM": "xterm"})  # no-color.org: empty = unset
    assert "\x1b[32mok 200" in empty
    table = _run_in_terminal(["logs", "stats", "--by", "model", str(log)], {"TERM": "xterm"}).splitlines()
    assert table[0].startswith("\x1b[1mmodel") and set(table[1]) == {"─"} and len(table[1]) == len(table[2].rstrip())
    exported = _run_in_terminal(["logs", "export", "--rows", "calls", str(log)], {"TERM": "xterm"})
    assert "\x1b" not in exported and "hi\\x1b[2J" in exported


def test_show_renders_tool_calls_results_and_parts(hilt_cli, tmp_path: Path) -> None:
    """show prints the model's tool call, the tool's result from the next request, and image parts as a marker."""
    first_messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Weather here?"},
                {"type": "image_url", "image_url": {"url": "data:"}},
            ],
        }
    ]
    tool_call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    second_messages = first_messages + [
        {"role": "assistant", "content": None, "tool_calls": [tool_call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18°C, sunny"},
    ]
    first = call("conv_tools", "2026-11-29T10:00:00Z", "Weather here?", None, messages=first_messages)
    first[1]["content"] = {
        "tool_calls": [{"id": "call_1", "type": "function", "name": "get_weather", "arguments": '{"city": "Paris"}'}]
    }
    second = call("conv_tools", "2026-11-29T10:00:05Z", "", "It is 18°C and sunny in Paris.", messages=second_messages)
    log = write_log(tmp_path / "tools.jsonl", first, second)
    lines = hilt_cli("logs", "show", "conv_tools", str(log)).stdout.splitlines()
    body = [line.strip() for line in lines if line.startswith("  ")]
    assert body == [
        "user: Weather here? [image_url]",
        'assistant: → get_weather({"city": "Paris"})',
        "tool call_1: 18°C, sunny",
        "assistant: It is 18°C and sunny in Paris.",
    ]


def test_tail_follow_shows_the_prompt_of_a_call_in_flight(tmp_path: Path) -> None:
    """A call whose prompt was logged before tail -f started is printed with that prompt when its reply comes."""
    prompt, reply = call("conv_f", "2026-11-29T10:00:00Z", "asked before", "answered after")
    log = write_log(tmp_path / "flight.jsonl", *call("conv_e", "2026-11-29T09:00:00Z", "earlier", "done"), prompt)
    with running_cli("logs", "tail", "-f", "-n", "5", str(log)) as process:
        assert read_output_lines(process.stdout, 1)[0].endswith("earlier → done")
        append_events(log, [reply])
        assert read_output_lines(process.stdout, 1)[0].endswith("asked before → answered after")


def test_tail_follow_prints_the_calls_of_a_file_rotated_between_two_polls(tmp_path: Path) -> None:
    """Two rotations within one poll (rotate = "2KB" under a burst): tail -f prints the call of the file in between too."""
    log = tmp_path / "app.jsonl"
    log.write_text("")
    with running_cli("logs", "tail", "-f", str(log)) as process:
        time.sleep(1.0)  # the command is up and following the empty log
        append_events(log, call("conv_1", "2026-11-29T10:00:00Z", "first", "one"))
        os.rename(log, tmp_path / "app.jsonl.20261129T100001Z")
        append_events(log, call("conv_2", "2026-11-29T10:00:01Z", "second", "two"))
        os.rename(log, tmp_path / "app.jsonl.20261129T100001Z-1")
        append_events(log, call("conv_3", "2026-11-29T10:00:02Z", "third", "three"))
        time.sleep(1.0)  # twenty polls: every line that will come has come
        process.terminate()
        lines = process.stdout.read().splitlines()
    assert [line.rsplit("  ", 1)[-1] for line in lines] == ["first → one", "second → two", "third → three"]


def test_tail_follow_prints_the_calls_of_a_log_rotated_before_it_was_seen(tmp_path: Path) -> None:
    """tail -f on a log not written yet: a file created and rotated between two polls is printed too."""
    log = tmp_path / "app.jsonl"
    with running_cli("logs", "tail", "-f", str(log)) as process:
        time.sleep(1.0)  # the command is up and waiting for the log
        append_events(log, call("conv_1", "2026-11-29T10:00:00Z", "first", "one"))
        os.rename(log, tmp_path / "app.jsonl.20261129T100001Z")
        append_events(log, call("conv_2", "2026-11-29T10:00:01Z", "second", "two"))
        time.sleep(1.0)  # twenty polls: every line that will come has come
        process.terminate()
        lines = process.stdout.read().splitlines()
    assert [line.rsplit("  ", 1)[-1] for line in lines] == ["first → one", "second → two"]


def test_export_original_to_a_terminal_escapes_controls(tmp_path: Path) -> None:
    """export --rows original to a terminal shows C1 controls and bidi overrides escaped, as every other output does."""
    log = write_log(tmp_path / "hostile.jsonl", call("conv_x", "2026-11-29T10:00:00Z", HOSTILE, "ok"))
    shown = _run_in_terminal(["logs", "export", "--rows", "original", "--to", "jsonl", str(log)], {})
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in shown
    assert shown.count("\n") == 2  # the prompt's line and the completion's line
