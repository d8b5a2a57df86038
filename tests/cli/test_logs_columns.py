"""``hilt logs tail`` and ``search`` keep their columns aligned whatever the length of a model name or a count."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from hilt.cli._logs_output import display_width
from tests.cli._make import append_events, call, write_log
from tests.cli._run import read_output_lines, running_cli

FINE_TUNE = "ft:gpt-4o-mini-2024-07-18:acme:support-bot:9x7Yz"  # 47 characters
AZURE = "azure/my-company-production-gpt-4o-2024-08-06-deployment-eastus2"  # 64 characters
LEFT, RIGHT = (0, 1, 2, 6), (3, 4, 5)  # time, model, status, text start aligned; tokens, cost, latency end aligned


def _cells(line: str) -> list[re.Match[str]]:
    """The cells of a call line: runs of text separated by two spaces or more."""
    return list(re.finditer(r"\S+(?: \S+)*", line))


def _assert_aligned(lines: list[str]) -> None:
    rows = [_cells(line) for line in lines]
    assert {len(row) for row in rows} == {7}, lines
    for column in LEFT:
        assert len({row[column].start() for row in rows}) == 1, (column, lines)
    for column in RIGHT:
        assert len({row[column].end() for row in rows}) == 1, (column, lines)


def _mixed_log(path: Path) -> Path:
    return write_log(
        path,
        call("conv_1", "2026-11-29T10:00:00Z", "q1", "a1"),
        call("conv_2", "2026-11-29T10:01:00Z", "q2", "a2", model=FINE_TUNE),
        call(
            "conv_3",
            "2026-11-29T10:02:00Z",
            "q3",
            "a3",
            model="openai/gpt-oss-120b",
            tokens={"prompt": 128000, "completion": 16384, "total": 144384},
            cost=0.0000001,
            latency=12345,
        ),
        call("conv_4", "2026-11-29T10:03:00Z", "q4", None, model="my-prod-gpt4o-deployment-eastus2", status_code=429),
        call("conv_5", "2026-11-29T10:04:00Z", "q5", "a5", model=AZURE),
    )


@pytest.mark.parametrize("command", [["tail"], ["search", "q"]], ids=["tail", "search"])
def test_long_models_and_counts_keep_the_columns_aligned(hilt_cli, tmp_path: Path, command: list[str]) -> None:
    """A listing sizes each column from the calls it shows: a 47-character fine-tune name is shown whole, a
    64-character deployment name is cut to 48 with "…", and every column starts (or, for numbers, ends) at
    the same place on every line."""
    done = hilt_cli("logs", *command, str(_mixed_log(tmp_path / "mixed.jsonl")))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    _assert_aligned(lines)
    by_prompt = {row[6].group().split(" → ")[0]: [cell.group() for cell in row] for row in map(_cells, lines)}
    assert by_prompt["q1"] == ["2026-11-29 10:00:00", "gpt-4o-mini", "ok 200", "10→5 tok", "$0.001000", "100 ms", "q1 → a1"]
    assert by_prompt["q2"][1] == FINE_TUNE
    assert by_prompt["q3"][1:6] == ["openai/gpt-oss-120b", "ok 200", "128000→16384 tok", "<$0.000001", "12.3 s"]
    assert by_prompt["q4"][1:6] == ["my-prod-gpt4o-deployment-eastus2", "error 429", "-", "-", "100 ms"]
    assert by_prompt["q5"][1] == AZURE[:47] + "…"
    assert lines[0].index("ok 200") == len("2026-11-29 10:00:00") + 2 + 48 + 2


def test_status_column_fits_cancelled_and_incomplete_calls(hilt_cli, tmp_path: Path) -> None:
    """"cancelled 499" and "incomplete 200" take the status column's width, so the token counts after them line up."""
    cancelled = call("conv_c", "2026-11-29T10:00:00Z", "stop", "st")
    cancelled[1]["extensions"].update(status="cancelled", status_code=499)  # the caller gave up on a stream
    incomplete = call("conv_i", "2026-11-29T10:01:00Z", "long", "lo")
    incomplete[1]["extensions"]["status"] = "incomplete"
    log = write_log(tmp_path / "statuses.jsonl", call("conv_o", "2026-11-29T09:00:00Z", "fine", "ok"), cancelled, incomplete)
    lines = hilt_cli("logs", "tail", str(log)).stdout.splitlines()
    _assert_aligned(lines)
    assert [_cells(line)[2].group() for line in lines] == ["ok 200", "cancelled 499", "incomplete 200"]


def test_tail_follow_uses_fixed_widths_and_cuts_long_models(tmp_path: Path) -> None:
    """tail -f cannot see the calls to come: its lines, the first ones included, use fixed widths (a model name
    cut to 24 characters with "…"), so a call logged later with a long model and large counts lines up too."""
    log = write_log(
        tmp_path / "app.jsonl",
        call("conv_1", "2026-11-29T10:00:00Z", "short", "one"),
        call("conv_2", "2026-11-29T10:01:00Z", "tuned", "two", model=FINE_TUNE),
    )
    with running_cli("logs", "tail", "-f", "-n", "5", str(log)) as process:
        lines = read_output_lines(process.stdout, 2)
        time.sleep(0.2)
        append_events(
            log,
            call(
                "conv_3",
                "2026-11-29T10:02:00Z",
                "big",
                "three",
                model="openai/gpt-oss-120b",
                tokens={"prompt": 1_000_000, "completion": 32768, "total": 1_032_768},
                cost=1234.5,
            ),
        )
        lines += read_output_lines(process.stdout, 1)
    _assert_aligned(lines)
    assert [_cells(line)[1].group() for line in lines] == ["gpt-4o-mini", "ft:gpt-4o-mini-2024-07-…", "openai/gpt-oss-120b"]
    assert [_cells(line)[3].group() for line in lines][2] == "1000000→32768 tok"
    assert [_cells(line)[4].group() for line in lines][2] == "$1,234.50"
    assert lines[0].index("ok 200") == len("2026-11-29 10:00:00") + 2 + 24 + 2


def test_token_counts_from_the_log_are_escaped(hilt_cli, tmp_path: Path) -> None:
    """Token counts are untrusted text like the rest of the log: a count holding ESC[2J or an OSC title is shown
    escaped by tail and show, never sent to the terminal."""
    hostile = call(
        "conv_tok",
        "2026-11-29T10:00:00Z",
        "hi",
        "there",
        tokens={"prompt": "\x1b]0;pwned\x07", "completion": "\x1b[2J", "total": 3},
    )
    log = write_log(tmp_path / "tokens.jsonl", hostile)
    shown = {}
    for command in ("tail", "show"):
        done = hilt_cli("logs", command, *(["conv_tok"] if command == "show" else []), str(log))
        assert done.returncode == 0, done.stderr
        assert "\x1b" not in done.stdout and "\x07" not in done.stdout
        shown[command] = done.stdout
    assert "  \\x1b]0;pwned\\x07…  $0.001000  " in shown["tail"]  # cut to the column's 17 characters
    assert "  \\x1b]0;pwned\\x07→\\x1b[2J tok  $0.001000  " in shown["show"]


def test_every_bidi_control_is_escaped(hilt_cli, tmp_path: Path) -> None:
    """All twelve Unicode bidi controls, the Arabic letter mark U+061C included, are shown escaped by tail, show
    and --json, never sent to the terminal to reorder what it shows."""
    controls = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    log = write_log(tmp_path / "bidi.jsonl", call("conv_b", "2026-11-29T10:00:00Z", f"a{controls}b", "ok"))
    tail = hilt_cli("logs", "tail", str(log)).stdout
    show = hilt_cli("logs", "show", "conv_b", str(log)).stdout
    as_json = hilt_cli("logs", "tail", "--json", str(log)).stdout
    assert not set(controls) & set(tail + show + as_json)
    assert "  a\\u061c\\u200e\\u200f" in tail  # the start of the prompt, cut to 40 characters
    assert "  user: a" + "".join(f"\\u{ord(c):04x}" for c in controls) + "b\n" in show
    assert json.loads(as_json)["prompt"] == f"a{controls}b"


def _column_starts(line: str) -> list[int]:
    """The terminal column where each cell of ``line`` starts (a wide character takes two columns)."""
    return [display_width(line[: cell.start()]) for cell in _cells(line)]


def test_wide_characters_keep_the_columns_aligned(hilt_cli, tmp_path: Path) -> None:
    """A model or user name in CJK characters (two terminal columns each) or with an emoji lines up like any
    other: tail and stats count widths in terminal columns, not characters."""
    wide_model = "通义千问-max"  # 4 wide characters + 4 narrow: 12 columns
    log = write_log(
        tmp_path / "wide.jsonl",
        call("conv_1", "2026-11-29T10:00:00Z", "q1", "a1", user="alice"),
        call("conv_2", "2026-11-29T10:01:00Z", "q2", "a2", model=wide_model, user="山田太郎"),
        call("conv_3", "2026-11-29T10:02:00Z", "q3", "a3", user="zoë 🚀"),
    )
    tail = hilt_cli("logs", "tail", str(log)).stdout.splitlines()
    # time (19) | model (12 columns) | "ok 200" | "10→5 tok" | "$0.001000" | latency, two spaces between
    assert {tuple(_column_starts(line)[:6]) for line in tail} == {(0, 21, 35, 43, 53, 64)}
    assert _cells(tail[1])[1].group() == wide_model
    stats = hilt_cli("logs", "stats", "--by", "user", str(log)).stdout.splitlines()
    rows = [line for line in stats if line.startswith(("alice", "山田太郎", "zoë"))]
    ends = {tuple(display_width(line[: cell.end()]) for cell in _cells(line)[1:]) for line in rows}  # numbers: right-aligned
    assert len(rows) == 3 and len(ends) == 1, stats
