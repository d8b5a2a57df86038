"""``hilt logs stats``: the numbers, the groups, the filters, and the same numbers from Python."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hilt.logs import Filters, summarize

from tests.cli._run import stats_json


def test_stats_json_totals_are_exact(hilt_cli, known_log: Path) -> None:
    """stats --json sums calls, errors, tokens by kind and the known costs, counts the unpriced call, and
    gives nearest-rank latency and TTFT percentiles; the two corrupt lines are reported, not fatal."""
    done = hilt_cli("logs", "stats", str(known_log), "--json")
    assert done.returncode == 0
    summary = json.loads(done.stdout)
    assert summary["calls"] == 5
    assert summary["errors"] == 1
    assert summary["error_rate"] == 0.2
    assert summary["tokens"] == {"prompt": 301, "completion": 67, "cached": 64, "reasoning": 10, "total": 368}
    assert summary["cost_usd"] == pytest.approx(0.005006, abs=1e-12)
    assert summary["unpriced_calls"] == 1
    assert summary["latency_ms"] == {"p50": 100, "p95": 300, "p99": 300}
    assert summary["ttft_ms"] == {"p50": 40, "p95": 60, "p99": 60}
    assert summary["conversations"] == 3
    assert summary["events"] == 10
    assert summary["corrupt_lines"] == 2
    assert summary["pending"] == 0
    assert "groups" not in summary
    assert f"{known_log}:5" in done.stderr and f"{known_log}:10" in done.stderr
    assert "2 corrupt line(s) skipped" in done.stderr


def test_stats_by_model_groups(hilt_cli, known_log: Path) -> None:
    """--by model gives one group per model, most calls first; an unpriced model's cost is null, not 0."""
    summary = stats_json(hilt_cli, str(known_log), "--by", "model")
    assert summary["by"] == "model"
    assert [(g["key"], g["calls"], g["errors"]) for g in summary["groups"]] == [
        ("gpt-4o-mini", 4, 1),
        ("my-finetune", 1, 0),
    ]
    finetune = summary["groups"][1]
    assert finetune["cost_usd"] is None
    assert finetune["unpriced_calls"] == 1
    assert finetune["tokens"] == {"prompt": 40, "completion": 10, "cached": 0, "reasoning": 0, "total": 50}


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("day", [("2026-11-27", 1), ("2026-11-29", 3), ("2026-11-30", 1)]),
        ("hour", [("2026-11-27T02:00", 1), ("2026-11-29T10:00", 2), ("2026-11-29T11:00", 1), ("2026-11-30T09:00", 1)]),
        ("tag", [("support", 3), (None, 2), ("batch", 1)]),
        ("user", [("alice", 2), ("bob", 2), (None, 1)]),
        ("status", [("ok", 4), ("error", 1)]),
        ("conversation", [("conv_aaa111", 2), ("conv_bbb222", 2), ("conv_42aac502b978", 1)]),
        ("endpoint", [("chat.completions.create", 4), (None, 1)]),
    ],
)
def test_stats_by_each_key(hilt_cli, known_log: Path, by: str, expected: list) -> None:
    """Every --by key groups the calls as expected (time keys in time order, others by calls)."""
    summary = stats_json(hilt_cli, str(known_log), "--by", by)
    assert [(g["key"], g["calls"]) for g in summary["groups"]] == expected


@pytest.mark.parametrize(
    ("options", "calls", "errors"),
    [
        (["--model", "my-*"], 1, 0),
        (["--user", "bob"], 2, 1),
        (["--tag", "batch"], 1, 0),
        (["--errors"], 1, 1),
        (["--since", "2026-11-29T10:30"], 2, 1),
        (["--until", "2026-11-29"], 1, 0),
        (["--conversation", "conv_aaa"], 2, 0),
        (["--model", "gpt-4o-mini", "--since", "2026-11-29", "--until", "2026-11-30"], 3, 1),
    ],
)
def test_stats_filters(hilt_cli, known_log: Path, options: list[str], calls: int, errors: int) -> None:
    """The shared filters select the calls they name."""
    summary = stats_json(hilt_cli, str(known_log), *options)
    assert (summary["calls"], summary["errors"]) == (calls, errors)


def test_stats_since_duration_is_relative_to_now(hilt_cli, tmp_path: Path) -> None:
    """--since 2h keeps a call from one hour ago and drops one from three hours ago."""
    from datetime import datetime, timedelta, timezone

    from tests.cli._make import call, write_log

    now = datetime.now(timezone.utc)
    log = write_log(
        tmp_path / "recent.jsonl",
        call("conv_old", (now - timedelta(hours=3)).isoformat(), "old", "a"),
        call("conv_new", (now - timedelta(hours=1)).isoformat(), "new", "b"),
    )
    summary = stats_json(hilt_cli, str(log), "--since", "2h")
    assert summary["calls"] == 1
    assert summary["conversations"] == 1


def test_python_api_gives_the_cli_numbers(hilt_cli, known_log: Path) -> None:
    """hilt.logs.summarize returns exactly what stats --json prints, with and without filters."""
    assert summarize([known_log], by="model") == stats_json(hilt_cli, str(known_log), "--by", "model")
    filtered = summarize([known_log], by="day", filters=Filters.from_options(user=["alice"]))
    assert filtered == stats_json(hilt_cli, str(known_log), "--by", "day", "--user", "alice")
    assert filtered["calls"] == 2


def test_stats_text_table(hilt_cli, known_log: Path) -> None:
    """Piped, stats --by model prints a plain aligned table with a total row and n/a for an unknown cost."""
    done = hilt_cli("logs", "stats", str(known_log), "--by", "model")
    lines = done.stdout.splitlines()
    assert lines[0].split()[:4] == ["model", "calls", "errors", "error"]
    assert lines[1].split()[:4] == ["gpt-4o-mini", "4", "1", "25.0%"]
    assert "$0.005006" in lines[1]
    assert lines[2].split()[:2] == ["my-finetune", "1"] and " n/a " in lines[2]
    assert lines[3].split()[:3] == ["(all)", "5", "1"]
    assert "\x1b[" not in done.stdout  # no colour in a pipe


def test_stats_on_a_real_instrumented_log(hilt_cli, real_log: Path) -> None:
    """On a log written by real SDK calls, stats counts each call once and sums what the lines say."""
    events = [json.loads(line) for line in real_log.read_text().splitlines()]
    replies = [e for e in events if e["action"] in ("completion", "system")]
    summary = stats_json(hilt_cli, str(real_log), "--by", "user")
    assert summary["calls"] == len(replies) == 4
    assert summary["errors"] == 1
    assert summary["tokens"]["total"] == sum(e.get("metrics", {}).get("tokens", {}).get("total", 0) for e in replies)
    assert summary["cost_usd"] == pytest.approx(sum(e["metrics"].get("cost_usd") or 0 for e in replies), abs=1e-12)
    assert [(g["key"], g["calls"]) for g in summary["groups"]] == [("carol", 3), (None, 1)]
    assert summary["ttft_ms"]["p50"] == next(e["metrics"]["ttft_ms"] for e in replies if "ttft_ms" in e["metrics"])


def test_stats_of_the_default_log(hilt_cli, known_log: Path) -> None:
    """Without a FILE, stats reads the configured log (HILT_FILEPATH)."""
    summary = stats_json(hilt_cli, env={"HILT_FILEPATH": str(known_log)})
    assert summary["calls"] == 5


def test_a_cost_below_a_millionth_of_a_dollar_is_not_shown_as_zero(hilt_cli, tmp_path: Path) -> None:
    """An embeddings call costing $0.00000004 shows as <$0.000001 in tail and stats, never as a free $0.000000."""
    from tests.cli._make import call, write_log

    log = write_log(tmp_path / "cheap.jsonl", call("conv_e", "2026-11-29T10:00:00Z", "embed me", "", cost=4e-08))
    tail = hilt_cli("logs", "tail", str(log)).stdout
    stats = hilt_cli("logs", "stats", str(log)).stdout
    assert "<$0.000001" in tail and "$0.000000" not in tail
    assert [line for line in stats.splitlines() if line.startswith("cost")] == ["cost           <$0.000001"]


def test_one_call_without_a_price_is_singular(hilt_cli, tmp_path: Path) -> None:
    """stats says "1 call without a price", not "1 calls"."""
    from tests.cli._make import call, write_log

    log = write_log(
        tmp_path / "one.jsonl",
        call("conv_a", "2026-11-29T10:00:00Z", "priced", "yes", cost=0.001),
        call("conv_b", "2026-11-29T10:00:01Z", "unpriced", "no", cost=None),
    )
    stats = hilt_cli("logs", "stats", str(log)).stdout
    assert [line for line in stats.splitlines() if line.startswith("cost")] == [
        "cost           $0.001000  (1 call without a price, not counted)"
    ]
