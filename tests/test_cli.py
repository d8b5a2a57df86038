"""The hilt command: demo and logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hilt.cli import main
from hilt.testing import read_lines


@pytest.fixture
def demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    """``hilt demo --filepath`` run once (it must succeed): the log it wrote and what it printed."""
    path = tmp_path / "demo.jsonl"
    assert main(["demo", "--filepath", str(path)]) == 0
    return path, capsys.readouterr().out


def test_demo_runs_offline_and_summarises(demo):
    """hilt demo logs 5 calls (conversation, stream, tool call, rate limit) and prints where and a summary."""
    path, out = demo
    assert f"5 calls logged to {path}" in out
    assert "errors: 1" in out
    events = read_lines(path)
    assert [e["action"] for e in events] == ["prompt", "completion"] * 4 + ["prompt", "system"]
    assert events[0]["session_id"] == events[2]["session_id"]  # the follow-up joined the conversation
    assert events[5]["metrics"]["ttft_ms"] >= 0  # streamed
    assert events[7]["content"]["tool_calls"][0]["name"] == "get_weather"
    assert events[9]["extensions"]["status_code"] == 429
    assert "demo-key-not-sent-anywhere" not in path.read_text()


def test_demo_ends_with_what_the_user_can_do(demo, tmp_path):
    """hilt demo ends with the last calls as tail prints them, the stats table by model, and the report's path."""
    path, out = demo
    assert f"The last calls:  hilt logs tail {path}" in out
    assert "What is the weather in Paris? → get_weather({\"city\": \"Paris\"})" in out
    assert "error 429" in out and "One more question? → RateLimitError" in out
    table = out.split(f"hilt logs stats {path} --by model\n")[1].splitlines()
    assert table[1].split()[:4] == ["gpt-4o-mini", "5", "1", "20.0%"]
    assert table[2].split()[:3] == ["(all)", "5", "1"]
    assert f"hilt logs show --last {path}" in out
    try:
        import plotly  # noqa: F401
    except ImportError:  # without hilt[report] the demo says how to get the page
        assert f"Report:  pip install 'hilt[report]', then: hilt logs report {path}" in out
    else:
        assert f"Report:  {tmp_path / 'report.html'}  (open it in a browser" in out
        assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_logs_stats_json(demo, capsys):
    """hilt logs stats --json summarises a log."""
    path, _ = demo
    assert main(["logs", "stats", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["calls"] == 5
    assert summary["errors"] == 1
    assert summary["events"] == 10
    assert summary["conversations"] == 4
    replies = [e for e in read_lines(path) if e["action"] != "prompt"]
    assert summary["tokens"]["total"] == sum(e["metrics"].get("tokens", {}).get("total", 0) for e in replies) > 0


def test_logs_path_is_the_configured_file(tmp_path, capsys, monkeypatch):
    """hilt logs path prints HILT_FILEPATH when set."""
    monkeypatch.setenv("HILT_FILEPATH", str(tmp_path / "x.jsonl"))
    assert main(["logs", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "x.jsonl")
