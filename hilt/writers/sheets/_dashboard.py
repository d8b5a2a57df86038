"""Build or repair the ``Dashboard`` worksheet, idempotently: ``hilt sheets dashboard`` and ``dashboard = true``.

One run: read the spreadsheet's metadata (its worksheets and charts) and the log worksheet's header row;
create the dashboard worksheet if it is missing; read back its cells (as formulas) and rewrite only the
blocks that differ from :func:`~hilt.writers.sheets._dashboard_plan.plan_dashboard`; add, in one
``batchUpdate``, only the charts whose titles are not on it. The log worksheet is only ever read. A worksheet
with the dashboard's name that HILT did not make (its first cell is not HILT's note) is never written to.

:func:`start_dashboard_once` runs this once per sheet and process in a daemon thread, for the writer
(``dashboard = true``): it never delays a call, and a failure is reported once on the ``hilt`` logger.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ..._safety import report
from ...exceptions import WriterError
from ._client import Credentials, credentials_error, explain_api_error, open_client
from ._dashboard_plan import DASHBOARD_COLS, DASHBOARD_ROWS, NOTE_MARK, DashboardPlan, dashboard_title, plan_dashboard
from ._rows import ALL_COLUMNS, OPTIONAL_COLUMNS, column_letter, fallback_worksheet_title, resolve_columns
from ._worksheet import a1, reply_values

__all__ = ["DashboardReport", "build_dashboard", "dashboard_for_settings", "start_dashboard_once"]


_HILT_COLUMNS = frozenset(ALL_COLUMNS + OPTIONAL_COLUMNS)


@dataclass
class DashboardReport:
    """What one run did."""

    title: str
    log_title: str
    created: bool = False  # the worksheet was added
    blocks_written: int = 0  # blocks of cells (re)written; 0: the formulas were already there
    charts_added: list[str] = field(default_factory=list)
    charts_kept: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _header(spreadsheet: Any, title: str) -> list[str]:
    values = reply_values(spreadsheet.values_get(a1(title, "1:1")))
    row = [str(v) for v in values[0]] if values else []
    while row and row[-1] == "":
        row.pop()
    return row


def _log_worksheet(spreadsheet: Any, titles: list[str], wanted: str, columns: tuple[str, ...]) -> tuple[str, list[str]]:
    """The worksheet HILT logs to and its header: of ``wanted`` and its fallback for ``columns``, the one whose
    header is ``columns`` (where the writer appends), else the first whose header is made of HILT's columns."""
    found = []
    for title in (wanted, fallback_worksheet_title(wanted, columns)):
        if title in titles:
            header = _header(spreadsheet, title)
            if header and all(name in _HILT_COLUMNS for name in header):
                if tuple(header) == tuple(columns):
                    return title, header
                found.append((title, header))
    if found:
        return found[0]
    raise WriterError(
        f"no HILT log worksheet {wanted!r} with HILT's header in this sheet yet: run your app once with "
        "backend = \"sheets\" or `hilt sheets sync`, then build the dashboard"
    )


def _grid(spreadsheet: Any, title: str, plan: DashboardPlan) -> dict[tuple[int, int], str]:
    """The dashboard's cells (formulas as written) over the rectangle the plan uses, by (row, col)."""
    cells = plan.cells()
    last_row, last_col = max(r for r, _ in cells), max(c for _, c in cells)
    reply = spreadsheet.values_get(a1(title, f"A1:{column_letter(last_col)}{last_row}"), params={"valueRenderOption": "FORMULA"})
    found = {}
    for r, row in enumerate(reply_values(reply), start=1):
        for c, value in enumerate(row, start=1):
            if value != "":
                found[(r, c)] = str(value)
    return found


def build_dashboard(spreadsheet: Any, wanted: str = "Logs", columns: tuple[str, ...] | None = None) -> DashboardReport:
    """Create or repair the dashboard of the log worksheet ``wanted`` (see the module doc) in a gspread ``Spreadsheet``.

    Raises:
        WriterError: no HILT log worksheet yet, or a worksheet of the dashboard's name that HILT did not make.
    """
    metadata = spreadsheet.fetch_sheet_metadata()
    sheets = {s["properties"]["title"]: s for s in metadata.get("sheets", [])}
    log_title, header = _log_worksheet(spreadsheet, list(sheets), wanted, columns or resolve_columns(None))
    plan = plan_dashboard(log_title, header)
    done = DashboardReport(dashboard_title(log_title), log_title, skipped=list(plan.skipped))
    sheet = sheets.get(done.title)
    if sheet is None:
        worksheet = spreadsheet.add_worksheet(done.title, rows=DASHBOARD_ROWS, cols=DASHBOARD_COLS)
        sheet_id, existing, current = worksheet.id, set(), {}
        done.created = True
    else:
        sheet_id = sheet["properties"]["sheetId"]
        existing = {c.get("spec", {}).get("title") for c in sheet.get("charts", [])}
        current = _grid(spreadsheet, done.title, plan)
        first = current.get((1, 1), "")
        if current and not first.startswith(NOTE_MARK):
            raise WriterError(f"worksheet {done.title!r} exists and HILT did not make it: rename it, HILT never overwrites it")
    for block in plan.blocks:
        if any(current.get(cell) != value for cell, value in block.cells().items()):
            spreadsheet.values_update(
                block.a1_range(done.title), params={"valueInputOption": "USER_ENTERED"}, body={"values": [list(r) for r in block.values]}
            )
            done.blocks_written += 1
    missing = [(index, chart) for index, chart in enumerate(plan.charts) if chart.title not in existing]
    done.charts_kept = [chart.title for chart in plan.charts if chart.title in existing]
    if missing:
        spreadsheet.batch_update({"requests": [chart.request(sheet_id, index) for index, chart in missing]})
        done.charts_added = [chart.title for _, chart in missing]
    return done


def dashboard_for_settings(settings: Any, credentials: Credentials, columns: tuple[str, ...]) -> DashboardReport:
    """Open the configured sheet and :func:`build_dashboard`; Google's refusals become a :class:`WriterError`."""
    from gspread.exceptions import APIError
    from requests import RequestException

    try:
        spreadsheet = open_client(settings, credentials).open_by_key(settings.sheet_id)
        return build_dashboard(spreadsheet, settings.worksheet_name or "Logs", columns)
    except APIError as exc:
        message = None if getattr(exc, "code", None) == 400 else explain_api_error(exc, settings.sheet_id, credentials)
        message = message or f"Google Sheets refused the dashboard ({exc}); run it again later"
        raise WriterError(message) from None
    except RequestException as exc:
        raise WriterError(f"could not reach Google Sheets ({exc}); run it again later") from None
    except Exception as exc:
        message = credentials_error(exc, credentials)
        if message is None:
            raise
        raise WriterError(message) from None


_started: set[tuple[str, str, str]] = set()
_started_lock = threading.Lock()


def start_dashboard_once(settings: Any, credentials: Credentials, columns: tuple[str, ...]) -> bool:
    """Build the dashboard in a daemon thread, the first time this process asks for this sheet and worksheet."""
    key = (settings.sheets_endpoint or "", settings.sheet_id or "", settings.worksheet_name or "Logs")
    with _started_lock:
        if key in _started:
            return False
        _started.add(key)
    thread = threading.Thread(target=_run_quietly, args=(settings, credentials, columns), name="hilt-sheets-dashboard", daemon=True)
    thread.start()
    return True


def _run_quietly(settings: Any, credentials: Credentials, columns: tuple[str, ...]) -> None:
    try:
        dashboard_for_settings(settings, credentials, columns)
    except Exception as exc:  # never reaches the app: reported once
        report(f"sheets-dashboard:{settings.sheet_id}", "HILT could not build the Google Sheets dashboard (%s: %s)", type(exc).__name__, exc)
