"""``hilt logs report``: a self-contained page, checked in headless Chromium against ``stats --json``."""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest


from tests.cli._make import append_events, call, write_log
from tests.cli._run import running_cli

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytest.importorskip("plotly", reason="hilt[report] is not installed")


def _stat_values(page_html: str) -> dict:
    payload = re.search(r'<script type="application/json" id="hilt-data">(.*?)</script>', page_html, re.S).group(1)
    return json.loads(payload)


def test_report_is_self_contained_and_holds_the_stats_numbers(hilt_cli, known_log: Path, tmp_path: Path) -> None:
    """The page loads nothing from the network, is far below 10 MB, and embeds exactly the stats --json summary."""
    out = tmp_path / "report.html"
    done = hilt_cli("logs", "report", str(known_log), "-o", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert out.stat().st_size < 10_000_000
    assert not re.search(r'<(script|link|img)[^>]+(src|href)=["\']?https?:', page)
    data = _stat_values(page)
    stats = json.loads(hilt_cli("logs", "stats", str(known_log), "--json").stdout)
    assert data["summary"] == stats
    assert data["cost_by_day_model"] == {
        "days": ["2026-11-27", "2026-11-29", "2026-11-30"],
        "models": ["gpt-4o-mini", "my-finetune"],
        "cost_usd": {"gpt-4o-mini": [6e-06, 0.005, 0.0], "my-finetune": [0.0, 0.0, 0.0]},
    }
    assert [(e["error_type"], e["status_code"], e["count"]) for e in data["errors"]] == [("RateLimitError", 429, 1)]
    assert [c["conversation_id"] for c in data["top_conversations"]] == ["conv_aaa111", "conv_42aac502b978"]
    assert [t["prompt"] for t in data["transcripts"]["conv_aaa111"]] == ["first question", "second question"]
    assert [c["latency_ms"] for c in data["slowest_calls"]] == [300, 200, 100, 50, 9]


def test_logged_markup_cannot_break_out_of_the_page(hilt_cli, tmp_path: Path) -> None:
    """A prompt holding </script><script>... stays data: the page has exactly its own script elements."""
    hostile = '</script><script>document.title="pwned"</script><img src=x onerror=alert(1)>'
    log = write_log(tmp_path / "h.jsonl", call("conv_h", "2026-11-29T10:00:00Z", hostile, hostile, model=hostile))
    out = tmp_path / "report.html"
    assert hilt_cli("logs", "report", str(log), "-o", str(out)).returncode == 0
    page = out.read_text(encoding="utf-8")
    assert page.count("</script>") == 3 and "<img src=x" not in page
    assert _stat_values(page)["transcripts"]["conv_h"][0]["prompt"] == hostile


def _open_in_chromium(out: Path) -> dict[str, Any]:
    """What headless Chromium shows of the page at ``out``: errors, requests, charts drawn, cards, the sampling note."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page()
            errors: list[str] = []
            requests: list[str] = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(out.as_uri())
            page.wait_for_selector("body[data-ready='1']", timeout=30_000)
            shown = {
                "errors": errors,
                "requests": requests,
                "drawn": page.eval_on_selector_all(
                    ".js-plotly-plot", "els => els.map(e => [e.id, e.querySelectorAll('.trace').length])"
                ),
                "cards": dict(
                    page.eval_on_selector_all(
                        "[data-stat]", "els => els.map(e => [e.dataset.stat, JSON.parse(e.dataset.value)])"
                    )
                ),
                "labels": page.eval_on_selector_all("[data-stat] .label", "els => els.map(e => e.textContent)"),
                "note": page.inner_text("#sampled") if page.is_visible("#sampled") else None,
            }
            page.click("#table-conversations summary")
            shown["transcript"] = page.inner_text("#table-conversations details[open]")
        finally:
            browser.close()
    return shown


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)")
def test_report_in_headless_chromium(hilt_cli, real_log: Path, tmp_path: Path) -> None:
    """Opened from disk in headless Chromium: no console error, no request but the file, every chart drawn,
    the cards show the stats --json numbers, and a conversation's transcript opens on a click."""
    out = tmp_path / "report.html"
    assert hilt_cli("logs", "report", str(real_log), "-o", str(out)).returncode == 0
    stats = json.loads(hilt_cli("logs", "stats", str(real_log), "--json").stdout)
    shown = _open_in_chromium(out)
    cards = shown["cards"]
    assert shown["errors"] == []
    assert shown["requests"] == [out.as_uri()]
    assert sorted(chart for chart, traces in shown["drawn"] if traces > 0) == [
        "chart-calls",
        "chart-cost",
        "chart-distribution",
        "chart-percentiles",
        "chart-tokens",
    ]
    assert cards["calls"] == stats["calls"] == 4
    assert cards["errors"] == stats["errors"] and cards["error_rate"] == stats["error_rate"]
    assert cards["cost_usd"] == stats["cost_usd"] and cards["unpriced_calls"] == stats["unpriced_calls"]
    for kind in ("prompt", "completion", "cached", "reasoning"):
        assert cards[f"tokens.{kind}"] == stats["tokens"][kind]
    for p in ("p50", "p95", "p99"):
        assert cards[f"latency_ms.{p}"] == stats["latency_ms"][p]
    assert cards["ttft_ms.p50"] == stats["ttft_ms"]["p50"]
    assert shown["note"] is None and not any("estimate" in label for label in shown["labels"])
    assert "user: Plan a day in Porto." in shown["transcript"] and "assistant: Walk the Ribeira." in shown["transcript"]


def _sampled_log(path: Path) -> Path:
    """Eight one-call conversations at rate 0.25 (the kept ones carry the rate) and one failed call, kept whatever the rate."""
    calls = []
    for n in range(8):
        events = call(f"conv_s{n}", f"2026-11-29T1{n}:00:00Z", f"question {n}", f"answer {n}", cost=0.004, latency=100 + n)
        if n % 4 == 0:  # the two conversations the sampler kept
            for event in events:
                event["extensions"]["sample_rate"] = 0.25
            calls.append(events)
    failed = call("conv_f", "2026-11-30T09:00:00Z", "again?", None, status_code=429)
    for event in failed:
        event["extensions"]["sample_rate"] = 0.25
    return write_log(path, *calls, failed)


def test_sampled_log_report_shows_the_stats_estimates(hilt_cli, tmp_path: Path) -> None:
    """A sampled log: the page embeds exactly stats --json (estimates, sampled, recorded) and the cost per day
    and model is scaled the same way, so it adds up to the estimated cost."""
    log = _sampled_log(tmp_path / "sampled.jsonl")
    out = tmp_path / "report.html"
    assert hilt_cli("logs", "report", str(log), "-o", str(out)).returncode == 0
    data = _stat_values(out.read_text(encoding="utf-8"))
    stats = json.loads(hilt_cli("logs", "stats", str(log), "--json").stdout)
    assert data["summary"] == stats
    assert (stats["calls"], stats["errors"], stats["sampled"], stats["sampled_calls"]) == (9, 1, True, 2)
    assert stats["recorded"]["calls"] == 3 and stats["cost_usd"] == 0.032 and stats["recorded"]["cost_usd"] == 0.008
    assert data["cost_by_day_model"]["cost_usd"] == {"gpt-4o-mini": [0.032, 0.0]}
    assert [g["calls"] for g in data["series"]] == [4, 4, 1]  # per hour: each kept call counts 4 times
    assert [c["cost_usd"] for c in data["top_conversations"]] == [0.004, 0.004]  # a kept conversation's exact cost


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)")
def test_sampled_report_in_headless_chromium_says_it_shows_estimates(hilt_cli, tmp_path: Path) -> None:
    """In Chromium, a sampled log's page shows a note with the recorded numbers and marks the estimated cards,
    whose values are stats --json's."""
    log = _sampled_log(tmp_path / "sampled.jsonl")
    out = tmp_path / "report.html"
    assert hilt_cli("logs", "report", str(log), "-o", str(out)).returncode == 0
    stats = json.loads(hilt_cli("logs", "stats", str(log), "--json").stdout)
    shown = _open_in_chromium(out)
    assert shown["errors"] == []
    assert shown["note"].startswith("Sampled log: calls, tokens and cost")
    assert "each of the 2 sampled calls counting 1 / sample_rate times" in shown["note"]
    assert "Recorded: 3 calls, 30 tokens, cost $0.008000." in shown["note"]
    assert [label for label in shown["labels"] if label.endswith("(estimate)")] == [
        "Calls (estimate)",
        "Error rate (estimate)",
        "Cost (estimate)",
        "Tokens in (estimate)",
        "Tokens out (estimate)",
        "Cached tokens (estimate)",
        "Reasoning tokens (estimate)",
    ]
    assert (shown["cards"]["calls"], shown["cards"]["cost_usd"], shown["cards"]["errors"]) == (stats["calls"], stats["cost_usd"], 1)


def test_serve_rebuilds_as_the_log_grows(tmp_path: Path) -> None:
    """report --serve answers on 127.0.0.1 and, after a call is appended, serves the page with the new count."""
    log = write_log(tmp_path / "live.jsonl", call("conv_1", "2026-11-29T10:00:00Z", "one", "a"))
    with running_cli("logs", "report", "--serve", "--port", "0", str(log)) as server:
        url = re.search(r"http://127\.0\.0\.1:\d+/", server.stdout.readline()).group(0)
        first = urllib.request.urlopen(url, timeout=30).read().decode()
        assert _stat_values(first)["summary"]["calls"] == 1
        assert '<meta http-equiv="refresh" content="15">' in first
        append_events(log, call("conv_2", "2026-11-29T11:00:00Z", "two", "b"))
        time.sleep(0.05)
        second = urllib.request.urlopen(url, timeout=30).read().decode()
        assert _stat_values(second)["summary"]["calls"] == 2


def test_report_without_plotly_names_the_extra(hilt_cli, known_log: Path, tmp_path: Path) -> None:
    """Without plotly, report says to install hilt[report] and exits with status 3."""
    blocker = tmp_path / "blocked" / "plotly"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked for the test')\n")
    done = hilt_cli(
        "logs", "report", str(known_log), "-o", str(tmp_path / "r.html"), env={"PYTHONPATH": str(blocker.parent)}
    )
    assert done.returncode == 3
    assert "pip install 'hilt[report]'" in done.stderr
