"""Event → row: columns, cell rules, validation."""

from __future__ import annotations

import pytest

from hilt.exceptions import ConfigError
from hilt.writers.sheets._rows import (
    ALL_COLUMNS,
    CELL_LIMIT,
    TRUNCATION_MARKER,
    event_to_row,
    fallback_worksheet_title,
    placeholder_row,
    resolve_columns,
    utf16_length,
)

COMPLETION = {
    "event_id": "e2",
    "timestamp": "2026-11-27T02:36:43.418570+05:30",
    "session_id": "conv_01a21b5c0a947000ab3b4e655fd2ac84",
    "actor": {"type": "agent", "id": "openai", "name": "gpt-4o-mini"},
    "action": "completion",
    "content": {"text": "Hi there"},
    "metrics": {
        "tokens": {"prompt": 11, "completion": 7, "total": 18, "cached": 4},
        "cost_usd": 0.00042,
        "latency_ms": 9,
        "ttft_ms": 3.5,
    },
    "extensions": {"reply_to": "e1", "model": "gpt-4o-mini-2024-07-18", "status_code": 200, "user": "alice", "score": 0.5},
}


def test_the_fifteen_reference_columns_come_first_then_hilt_extras():
    """The default columns are the 15 reference columns in order, then HILT's 5 extras."""
    assert ALL_COLUMNS[:15] == (
        "timestamp", "conversation_id", "event_id", "reply_to", "status_code", "session", "speaker", "action",
        "message", "tokens_in", "tokens_out", "cost_usd", "latency_ms", "model", "relevance_score",
    )
    assert ALL_COLUMNS[15:] == ("tokens_total", "tokens_cached", "ttft_ms", "error_type", "user")


def test_a_completion_row_keeps_numbers_and_the_time_zone():
    """A completion row keeps numbers as numbers, the timestamp's zone, and derived session and speaker labels."""
    row = dict(zip(ALL_COLUMNS, event_to_row(COMPLETION)))
    assert row["timestamp"] == "2026-11-27T02:36:43.418570+05:30"
    assert row["session"] == "Conv.5fd2ac84"
    assert row["speaker"] == "agent: openai"
    assert (row["tokens_in"], row["tokens_out"], row["tokens_total"], row["tokens_cached"]) == (11, 7, 18, 4)
    assert row["cost_usd"] == 0.00042 and isinstance(row["cost_usd"], float)
    assert (row["latency_ms"], row["ttft_ms"], row["status_code"]) == (9, 3.5, 200)
    assert (row["relevance_score"], row["user"], row["error_type"]) == (0.5, "alice", "")


def test_missing_values_are_empty_cells_and_formulas_stay_text():
    """Missing values become empty cells and a formula-like prompt stays the same text."""
    prompt = {"event_id": "e1", "timestamp": "t", "session_id": "rag_chat_1234567890abc", "actor": {"type": "human", "id": "u"},
              "action": "prompt", "content": {"text": '=HYPERLINK("http://evil","click")'}}
    row = dict(zip(ALL_COLUMNS, event_to_row(prompt)))
    assert row["message"] == '=HYPERLINK("http://evil","click")'
    assert row["session"] == "rag_chat_123"
    assert row["tokens_in"] == "" and row["cost_usd"] == "" and row["reply_to"] == ""


def test_long_cells_are_cut_to_the_sheets_limit_with_a_marker():
    """A cell over 50,000 characters is cut to exactly 50,000 ending with the marker; one at the limit is untouched."""
    event = dict(COMPLETION, content={"text": "x" * 60_000})
    (cell,) = event_to_row(event, ("message",))
    assert len(cell) == CELL_LIMIT and cell.endswith(TRUNCATION_MARKER)
    (short,) = event_to_row(dict(COMPLETION, content={"text": "y" * CELL_LIMIT}), ("message",))
    assert short == "y" * CELL_LIMIT


def test_columns_pick_and_order():
    """``columns`` picks and orders the cells; ``None`` means all columns."""
    assert resolve_columns(None) == ALL_COLUMNS
    assert resolve_columns(["model", "timestamp"]) == ("model", "timestamp")
    assert event_to_row(COMPLETION, ("model", "tokens_in")) == ["gpt-4o-mini-2024-07-18", 11]


def test_an_unknown_column_is_an_error_listing_the_valid_ones():
    """Unknown, empty or repeated column lists are ConfigErrors; the message lists every valid name."""
    with pytest.raises(ConfigError) as info:
        resolve_columns(["timestamp", "mesage"])
    assert "mesage" in str(info.value)
    for name in ALL_COLUMNS:
        assert name in str(info.value)
    with pytest.raises(ConfigError):
        resolve_columns([])
    with pytest.raises(ConfigError):
        resolve_columns(["model", "model"])


def test_fallback_worksheet_title_is_stable_and_short():
    """The fallback worksheet title is readable when short, hashed under 100 characters when long, and stable."""
    assert fallback_worksheet_title("Logs", ("timestamp", "model")) == "Logs [timestamp,model]"
    long = fallback_worksheet_title("Logs", ALL_COLUMNS)
    assert len(long) <= 100 and long == fallback_worksheet_title("Logs", ALL_COLUMNS)
    assert long != fallback_worksheet_title("Logs", ALL_COLUMNS[:-1])


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("😀" * 30_000, "😀" * 24_990),  # 60,000 UTF-16 units: cut to 49,980 units + the 20-unit marker
        ("x" + "😀" * 30_000, "x" + "😀" * 24_989),  # an emoji would straddle the cut: it goes whole
        ("😀" * 25_000, None),  # exactly 50,000 units: untouched
    ],
)
def test_cells_are_cut_by_utf16_units_as_google_counts_them(text, kept):
    """The 50,000 limit counts UTF-16 code units (an emoji is 2), and a cut never splits a surrogate pair."""
    (cell,) = event_to_row(dict(COMPLETION, content={"text": text}), ("message",))
    if kept is None:
        assert cell == text
    else:
        assert cell == kept + TRUNCATION_MARKER
        assert utf16_length(cell) <= CELL_LIMIT


def test_a_placeholder_row_keeps_the_event_id_and_timestamp_and_says_why():
    """A placeholder keeps only event_id and timestamp, and puts the reason in message (else the first other column)."""
    row = event_to_row(COMPLETION, ("timestamp", "event_id", "model", "message"))
    note = "[HILT: Google Sheets rejected this row (too long); the full event is in the local journal]"
    assert placeholder_row(row, ("timestamp", "event_id", "model", "message"), "too long") == [
        "2026-11-27T02:36:43.418570+05:30", "e2", "", note,
    ]
    assert placeholder_row(["e2", 11, "x"], ("event_id", "tokens_in", "model"), "too long") == ["e2", note, ""]
    assert placeholder_row(["e2"], ("event_id",), "too long") == ["e2"]
