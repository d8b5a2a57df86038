"""What the ``Dashboard`` worksheet holds: its cells (labels and formulas) and its charts, from the log's header.

Pure functions, no network. The formulas read whole open-ended columns of the log worksheet (``'Logs'!L2:L``),
so rows appended later count without HILT touching the dashboard again. Columns are located by the log's
header row, read when the dashboard is built (HILT never changes a worksheet's header: another column set
goes to another worksheet). A panel whose columns the log lacks is left out and named in
:attr:`DashboardPlan.skipped`.

Layout (row 1: a note; row 2: panel titles; row 3: column headers; row 4: formulas that spill downwards)::

    A:B  totals: calls, errors, error rate, cost, tokens, latency percentiles
    D:I  per day: day, calls, errors, cost_usd, tokens_in, tokens_out
    K:P  per model: the same
    R:S  the most expensive conversations (QUERY, top 10)
    U    the charts, one below the other
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ._rows import column_letter
from ._worksheet import a1

__all__ = ["CHART_PREFIX", "DASHBOARD_ROWS", "NOTE", "NOTE_MARK", "Block", "ChartPlan", "DashboardPlan", "dashboard_title", "plan_dashboard"]

NOTE_MARK = "HILT dashboard:"
"""How the first cell of a dashboard HILT made starts."""
NOTE = NOTE_MARK + " formulas over worksheet {log!r}; it updates itself as rows arrive. Rebuilt by `hilt sheets dashboard` (edits here may be overwritten)."
CHART_PREFIX = "HILT · "
"""Every chart HILT adds has a title starting with this; a re-run adds only the titles it does not find."""
DASHBOARD_ROWS = 1000
DASHBOARD_COLS = 26
_CHART_COLUMN = 20  # U
_CHART_ROWS = 20  # rows between two charts (a 371-pixel chart is about 18 default rows)
_DAY, _MODEL, _CONVERSATIONS = 3, 10, 17  # zero-based first columns: D, K, R
_TOP = 10


@dataclass(frozen=True)
class Block:
    """A rectangle of cells HILT owns, written in one ``values.update``: ``values[0][0]`` goes to (row, col), 1-based."""

    row: int
    col: int
    values: tuple[tuple[str, ...], ...]

    def a1_range(self, title: str) -> str:
        last_col = self.col + max(len(r) for r in self.values) - 1
        return a1(title, f"{column_letter(self.col)}{self.row}:{column_letter(last_col)}{self.row + len(self.values) - 1}")

    def cells(self) -> dict[tuple[int, int], str]:
        """Every non-empty cell, by (row, col), 1-based."""
        return {(self.row + i, self.col + j): v for i, row in enumerate(self.values) for j, v in enumerate(row) if v != ""}


@dataclass(frozen=True)
class ChartPlan:
    """One chart: its title, type, and the dashboard columns (zero-based) of its domain and series."""

    title: str
    chart_type: str  # COLUMN, LINE, BAR or PIE
    domain: int
    series: tuple[int, ...]
    stacked: bool = False

    def request(self, sheet_id: int, index: int) -> dict[str, Any]:
        """The ``addChart`` request, anchored at column U, ``index`` charts down."""
        position = {
            "overlayPosition": {
                "anchorCell": {"sheetId": sheet_id, "rowIndex": 1 + index * _CHART_ROWS, "columnIndex": _CHART_COLUMN},
                "widthPixels": 600,
                "heightPixels": 371,
            }
        }
        return {"addChart": {"chart": {"spec": self.spec(sheet_id), "position": position}}}

    def spec(self, sheet_id: int) -> dict[str, Any]:
        if self.chart_type == "PIE":
            return {
                "title": self.title,
                "pieChart": {
                    "legendPosition": "RIGHT_LEGEND",
                    "domain": _source(sheet_id, self.domain, first_row=3),
                    "series": _source(sheet_id, self.series[0], first_row=3),
                },
            }
        basic: dict[str, Any] = {
            "chartType": self.chart_type,
            "legendPosition": "BOTTOM_LEGEND",
            "headerCount": 1,
            "domains": [{"domain": _source(sheet_id, self.domain, first_row=2)}],
            "series": [
                {"series": _source(sheet_id, c, first_row=2), "targetAxis": "BOTTOM_AXIS" if self.chart_type == "BAR" else "LEFT_AXIS"}
                for c in self.series
            ],
        }
        if self.stacked:
            basic["stackedType"] = "STACKED"
        return {"title": self.title, "basicChart": basic}


def _source(sheet_id: int, column: int, *, first_row: int) -> dict[str, Any]:
    """One dashboard column from zero-based row ``first_row`` (2: the header row 3) to the end of the grid."""
    grid = {"sheetId": sheet_id, "startRowIndex": first_row, "endRowIndex": DASHBOARD_ROWS, "startColumnIndex": column, "endColumnIndex": column + 1}
    return {"sourceRange": {"sources": [grid]}}


@dataclass
class DashboardPlan:
    """The cells and charts of a dashboard over one log worksheet, and the panels left out (and why)."""

    blocks: list[Block] = field(default_factory=list)
    charts: list[ChartPlan] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def cells(self) -> dict[tuple[int, int], str]:
        cells: dict[tuple[int, int], str] = {}
        for block in self.blocks:
            cells.update(block.cells())
        return cells


def dashboard_title(log_title: str) -> str:
    """``Dashboard`` for the default ``Logs`` worksheet, else ``Dashboard (<log title>)`` (at most 100 characters)."""
    return "Dashboard" if log_title == "Logs" else f"Dashboard ({log_title[:85]})"


class _Columns:
    """The log's columns by name: whole-column ranges below the header."""

    def __init__(self, log_title: str, header: Sequence[str]) -> None:
        self.title = log_title
        self.index = {name: i + 1 for i, name in enumerate(header) if name}

    def __contains__(self, name: str) -> bool:
        return name in self.index

    def range(self, name: str) -> str:
        letter = column_letter(self.index[name])
        return a1(self.title, f"{letter}2:{letter}")

    def first(self, *names: str) -> str | None:
        return next((n for n in names if n in self), None)


def _criteria(cols: _Columns) -> tuple[str | None, str | None]:
    """The COUNTIFS condition (``range,"criterion"``) that picks the rows ending a call, and the failed ones."""
    ends = cols.first("reply_to", "status_code")
    failed = "error_type" if "error_type" in cols else ("status_code" if "status_code" in cols else None)
    call = f'{cols.range(ends)},"<>"' if ends else None
    error = None
    if failed == "error_type":
        error = f'{cols.range("error_type")},"<>"'
    elif failed == "status_code":
        error = f'{cols.range("status_code")},">=400"'
    return call, error


def _metrics(cols: _Columns, call: str | None, error: str | None) -> list[tuple[str, str, str]]:
    """``(label, kind, argument)`` per metric of the per-day and per-model tables: ``count`` a condition, ``sum`` a range."""
    metrics: list[tuple[str, str, str]] = []
    if call:
        metrics.append(("calls", "count", call))
    if error:
        metrics.append(("errors", "count", error))
    for name in ("cost_usd", "tokens_in", "tokens_out"):
        if name in cols:
            metrics.append((name, "sum", cols.range(name)))
    return metrics


def _totals(cols: _Columns, call: str | None, error: str | None) -> Block:
    rows: list[tuple[str, str]] = [("Totals", "")]
    if call:
        rows.append(("calls", f"=COUNTIFS({call})"))
    if error:
        rows.append(("errors", f"=COUNTIFS({error})"))
    if call and error:
        first = 3  # the block starts at row 2; "calls" is row 3, "errors" row 4
        rows.append(("error rate", f"=IF(B{first}=0,,B{first + 1}/B{first})"))
    for name in ("cost_usd", "tokens_in", "tokens_out"):
        if name in cols:
            rows.append((name, f"=SUM({cols.range(name)})"))
    for name, label in (("latency_ms", "latency"), ("ttft_ms", "ttft")):
        if name in cols:
            for p in (50, 90, 99):
                rows.append((f"{label} p{p} (ms)", f"=IFERROR(PERCENTILE({cols.range(name)},{p / 100}),)"))
    return Block(2, 1, tuple(rows))


def _group(title: str, first_col: int, key_label: str, key_formula: str, key_match: str, metrics: list[tuple[str, str, str]]) -> Block:
    """A table: a key column that spills the distinct keys, and one ARRAYFORMULA per metric over those keys.

    ``key_match`` is the COUNTIFS/SUMIFS condition on the log for the keys in ``{keys}`` (this table's key column).
    """
    letter = column_letter(first_col + 1)
    keys = f"{letter}4:{letter}"
    match = key_match.format(keys=keys)
    formulas = [key_formula]
    for _, kind, argument in metrics:
        inner = f"COUNTIFS({match},{argument})" if kind == "count" else f"SUMIFS({argument},{match})"
        formulas.append(f'=ARRAYFORMULA(IF({keys}="",,{inner}))')
    width = 1 + len(metrics)
    return Block(2, first_col + 1, ((title,) + ("",) * (width - 1), (key_label, *(m[0] for m in metrics)), tuple(formulas)))


def plan_dashboard(log_title: str, header: Sequence[str]) -> DashboardPlan:
    """The dashboard over worksheet ``log_title`` whose first row is ``header``."""
    cols = _Columns(log_title, header)
    plan = DashboardPlan()
    plan.blocks.append(Block(1, 1, ((NOTE.format(log=log_title),),)))
    call, error = _criteria(cols)
    if not call:
        plan.skipped.append("calls and error rate (need a reply_to or status_code column)")
    if not error:
        plan.skipped.append("errors (need an error_type or status_code column)")
    plan.blocks.append(_totals(cols, call, error))
    metrics = _metrics(cols, call, error)
    labels = [m[0] for m in metrics]
    if "timestamp" in cols and metrics:
        ts = cols.range("timestamp")
        key = f'=ARRAYFORMULA(IFERROR(SORT(UNIQUE(FILTER(LEFT({ts},10),{ts}<>""))),))'
        plan.blocks.append(_group("Per day", _DAY, "day", key, ts + ",{keys}&\"*\"", metrics))
        plan.charts.extend(_charts(_DAY, labels, "day"))
    else:
        plan.skipped.append("per-day table and charts (need a timestamp column and a metric)")
    if "model" in cols and metrics:
        model = cols.range("model")
        ends = cols.range(cols.first("reply_to", "status_code")) if call else None
        # Prompts name the model too: list the models of the rows that end a call, when the log says which.
        where = f'{model}<>""' + (f',{ends}<>""' if ends else "")
        key = f"=IFERROR(SORT(UNIQUE(FILTER({model},{where}))),)"
        plan.blocks.append(_group("Per model", _MODEL, "model", key, model + ",{keys}", metrics))
        plan.charts.extend(_charts(_MODEL, labels, "model"))
    else:
        plan.skipped.append("per-model table and charts (need a model column and a metric)")
    conversation = cols.first("conversation_id", "session")
    if conversation and "cost_usd" in cols:
        query = (
            f"select Col1, sum(Col2) where Col2 > 0 group by Col1 order by sum(Col2) desc limit {_TOP} "
            "label Col1 '', sum(Col2) ''"
        )
        formula = f'=IFERROR(QUERY({{{cols.range(conversation)},{cols.range("cost_usd")}}},"{query}",0),)'
        plan.blocks.append(Block(2, _CONVERSATIONS + 1, (("Most expensive conversations", ""), (conversation, "cost_usd"))))
        plan.blocks.append(Block(4, _CONVERSATIONS + 1, ((formula,),)))
    else:
        plan.skipped.append("most expensive conversations (need conversation_id or session, and cost_usd)")
    return plan


def _charts(first_col: int, labels: list[str], by: str) -> list[ChartPlan]:
    """The charts of a per-day (``by="day"``) or per-model table whose metric columns are ``labels``, in order."""
    column = {label: first_col + 1 + i for i, label in enumerate(labels)}

    def pick(*names: str) -> tuple[int, ...]:
        return tuple(column[n] for n in names if n in column)

    charts = []
    if by == "day":
        if pick("calls", "errors"):
            charts.append(ChartPlan(f"{CHART_PREFIX}calls and errors per day", "COLUMN", first_col, pick("calls", "errors")))
        if pick("cost_usd"):
            charts.append(ChartPlan(f"{CHART_PREFIX}cost per day (USD)", "LINE", first_col, pick("cost_usd")))
        if pick("tokens_in", "tokens_out"):
            charts.append(ChartPlan(f"{CHART_PREFIX}tokens per day", "COLUMN", first_col, pick("tokens_in", "tokens_out"), stacked=True))
    else:
        if pick("cost_usd"):
            charts.append(ChartPlan(f"{CHART_PREFIX}cost per model (USD)", "PIE", first_col, pick("cost_usd")))
        if pick("calls", "errors"):
            charts.append(ChartPlan(f"{CHART_PREFIX}calls and errors per model", "BAR", first_col, pick("calls", "errors")))
    return charts
