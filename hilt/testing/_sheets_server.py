"""A loopback fake of the Google Sheets API v4 and of Google's OAuth token endpoint (stdlib only).

Enough of the API for gspread's ``open_by_key``, ``worksheets``, ``add_worksheet``, ``values_get``,
``values_update`` and ``append_rows``, and embedded charts (``addChart``, ``deleteEmbeddedObject``)::

    POST /token                                         an access token for any JWT assertion
    GET  /v4/spreadsheets/{id}                          metadata (no grid data)
    POST /v4/spreadsheets/{id}:batchUpdate              addSheet; deleteDimension (ROWS); addChart, deleteEmbeddedObject
    GET  /v4/spreadsheets/{id}/values/{range}           values (A1 ranges: 'T'!A2:C9, 'T'!1:1, 'T'!C2:C, 'T')
    PUT  /v4/spreadsheets/{id}/values/{range}           update
    POST /v4/spreadsheets/{id}/values/{range}:append    append after the last non-empty row

Point a service-account file's ``token_uri`` at :attr:`FakeSheetsServer.token_uri` (or let
:meth:`FakeSheetsServer.write_service_account` write one, with a fresh RSA key) and HILT's
``sheets_endpoint`` at :attr:`FakeSheetsServer.endpoint`. API calls without ``Authorization: Bearer``
get a 401. Faults are injected from Python: :meth:`fail` (an error before the write, or any status with a
body and headers of your choice: a malformed reply, a ``Retry-After``), :meth:`fail_after_apply` (the write
happens, then an error: the ambiguous case), ``delay`` (seconds per request), ``hang`` (requests block until
:meth:`release` or :meth:`stop`), ``forbidden`` (every spreadsheet answers 403). Like Google, an append or
update with a cell over :data:`CELL_LIMIT` UTF-16 code units is refused with a 400 and writes nothing.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ._loopback import LoopbackServer
from ._sheets_a1 import col_letters, parse_range
from ._sheets_charts import charts_of
from ._sheets_http import SheetsHandler, SheetsRequest, error_body

__all__ = ["CELL_LIMIT", "CLIENT_EMAIL", "FakeSheetsServer", "SheetsRequest", "service_account_info", "write_service_account"]

DEFAULT_SPREADSHEET_ID = "fake-spreadsheet-id"
CLIENT_EMAIL = "hilt-test@hilt-tests.iam.gserviceaccount.com"
CELL_LIMIT = 50_000
"""Most UTF-16 code units Google accepts in one cell."""


@dataclass
class _Fault:
    status: int
    times: int
    kind: str
    after_apply: bool
    body: bytes | None = None  # None: Google's JSON error for ``status``
    headers: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _private_key_pem() -> str:
    """One RSA key per process (generating one takes tens of milliseconds); needs ``cryptography``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def service_account_info(token_uri: str) -> dict[str, Any]:
    """A service-account key whose signed JWTs the fake token endpoint at ``token_uri`` accepts."""
    return {
        "type": "service_account",
        "project_id": "hilt-tests",
        "private_key_id": "0123456789abcdef",
        "private_key": _private_key_pem(),
        "client_email": CLIENT_EMAIL,
        "client_id": "1234567890",
        "token_uri": token_uri,
    }


def write_service_account(path: str | Path, token_uri: str) -> Path:
    """Write :func:`service_account_info` for ``token_uri`` to ``path``, a key file for ``credentials_path``; returns ``path``."""
    path = Path(path)
    path.write_text(json.dumps(service_account_info(token_uri)), encoding="utf-8")
    return path


class FakeSheetsServer(LoopbackServer):
    """Google Sheets API fake on ``127.0.0.1`` in a daemon thread; rows stored per worksheet."""

    def __init__(self, spreadsheet_id: str = DEFAULT_SPREADSHEET_ID, *, title: str = "HILT test sheet") -> None:
        self.spreadsheet_id = spreadsheet_id
        self.title = title
        self.delay = 0.0
        self.forbidden = False
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._hang = False
        self.waiting = 0  # requests blocked by ``hang`` or ``fail_after_apply(0)`` right now
        self._arrived = 0
        self._requests: list[SheetsRequest] = []
        self._faults: list[_Fault] = []
        self._sheets: dict[str, dict[str, Any]] = {}  # title -> {"id", "rows", "row_count", "col_count"}
        self._next_sheet_id = 1
        self._charts: list[dict[str, Any]] = []  # embedded charts as the metadata lists them (see _sheets_charts)
        self._next_chart_id = 1001
        super().__init__()
        self.add_worksheet("Sheet1")

    def _before_start(self) -> None:
        self._release.clear()

    def _before_stop(self) -> None:
        self._release.set()

    @property
    def endpoint(self) -> str:
        """The base URL to use instead of ``https://sheets.googleapis.com``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_uri(self) -> str:
        return f"{self.endpoint}/token"

    def service_account_info(self) -> dict[str, Any]:
        """A service-account key (``client_email`` :data:`CLIENT_EMAIL`) whose ``token_uri`` is this fake's."""
        return service_account_info(self.token_uri)

    def write_service_account(self, path: str | Path) -> Path:
        """Write :meth:`service_account_info` to ``path`` (a key file for ``credentials_path``); returns the path."""
        return write_service_account(path, self.token_uri)

    # --- state and faults ------------------------------------------------------------------

    def add_worksheet(self, title: str, rows: list[list[Any]] | None = None, *, row_count: int = 1000) -> None:
        """Create (or replace) a worksheet holding ``rows``."""
        with self._lock:
            self._sheets[title] = {"id": self._next_sheet_id, "rows": [list(r) for r in rows or []], "row_count": row_count, "col_count": 26}
            self._next_sheet_id += 1

    def worksheets(self) -> list[str]:
        with self._lock:
            return list(self._sheets)

    def rows(self, title: str = "Logs") -> list[list[Any]]:
        """Every row of worksheet ``title`` (header included), as stored."""
        with self._lock:
            sheet = self._sheets.get(title)
            return [list(r) for r in sheet["rows"]] if sheet else []

    def charts(self, title: str | None = None) -> list[dict[str, Any]]:
        """The embedded charts (``chartId``, ``spec``, ``position``), of worksheet ``title`` or of all, oldest first."""
        with self._lock:
            if title is None:
                return [dict(c) for s in self._sheets.values() for c in charts_of(self, s["id"])]
            sheet = self._sheets.get(title)
            return charts_of(self, sheet["id"]) if sheet else []

    def batch_requests(self, name: str | None = None) -> list[dict[str, Any]]:
        """The requests of every ``batchUpdate`` received (``{"addChart": {...}}``...), or only those called ``name``."""
        found = []
        for request in self.requests:
            if request.kind == "batch_update":
                for item in json.loads(request.body or b"{}").get("requests") or []:
                    if name is None or name in item:
                        found.append(item)
        return found

    def fail(
        self,
        status: int,
        times: int = 1,
        kind: str = "append",
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next ``times`` requests of ``kind`` (``append``, ``values_get``, ``metadata``, ``token``, ``any``) answer
        ``status`` without doing anything, with ``body`` (default: Google's JSON error) and extra ``headers``.

        ``fail(200, kind="metadata", body=b"[]")`` is a malformed reply; ``fail(429, headers={"Retry-After": "inf"})``
        an odd back-off request.
        """
        with self._lock:
            self._faults.append(_Fault(status, times, kind, after_apply=False, body=body, headers=dict(headers or {})))

    def fail_after_apply(self, status: int = 500, times: int = 1) -> None:
        """The next ``times`` appends are stored, then answered with ``status`` (``0``: hang until released)."""
        with self._lock:
            self._faults.append(_Fault(status, times, "append", after_apply=True))

    @property
    def hang(self) -> bool:
        """While true, every request blocks until :meth:`release` (then answers 503) or :meth:`stop`."""
        return self._hang

    @hang.setter
    def hang(self, value: bool) -> None:
        if value:
            self._release.clear()
        self._hang = value

    def release(self) -> None:
        """Let hanging requests go (they then answer 503); ``hang`` is switched off."""
        self._hang = False
        self._release.set()

    @property
    def requests(self) -> list[SheetsRequest]:
        with self._lock:
            return list(self._requests)

    def count(self, kind: str) -> int:
        return sum(1 for r in self.requests if r.kind == kind)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # --- used by the handler ---------------------------------------------------------------

    def _fault(self, kind: str, after_apply: bool) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.after_apply == after_apply and fault.kind in (kind, "any") and fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def waiting_or_served(self) -> bool:
        """True once any request has arrived (it may still be in its ``delay`` or ``hang``)."""
        return self._arrived > 0

    def _block(self) -> None:
        with self._lock:
            self.waiting += 1
        try:
            self._release.wait()
        finally:
            with self._lock:
                self.waiting -= 1

    def _record(self, request: SheetsRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _metadata(self) -> dict[str, Any]:
        with self._lock:
            sheets = [
                {
                    "properties": {
                        "sheetId": s["id"],
                        "title": title,
                        "index": index,
                        "sheetType": "GRID",
                        "gridProperties": {"rowCount": s["row_count"], "columnCount": s["col_count"]},
                    },
                    **({"charts": charts} if (charts := charts_of(self, s["id"])) else {}),
                }
                for index, (title, s) in enumerate(self._sheets.items())
            ]
        return {"spreadsheetId": self.spreadsheet_id, "properties": {"title": self.title}, "sheets": sheets}

    def _add_sheet(self, properties: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        title = properties.get("title") or f"Sheet{self._next_sheet_id}"
        grid = properties.get("gridProperties") or {}
        with self._lock:
            if title in self._sheets:
                return 400, error_body(400, f'A sheet with the name "{title}" already exists.', "INVALID_ARGUMENT")
            sheet = {"id": self._next_sheet_id, "rows": [], "row_count": grid.get("rowCount", 1000), "col_count": grid.get("columnCount", 26)}
            self._next_sheet_id += 1
            self._sheets[title] = sheet
            index = len(self._sheets) - 1
        props = {"sheetId": sheet["id"], "title": title, "index": index, "sheetType": "GRID", "gridProperties": {"rowCount": sheet["row_count"], "columnCount": sheet["col_count"]}}
        return 200, {"spreadsheetId": self.spreadsheet_id, "replies": [{"addSheet": {"properties": props}}]}

    def _delete_dimensions(self, ranges: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
        """``deleteDimension`` requests, applied in order like Google (each sees the rows the previous left)."""
        with self._lock:
            by_id = {s["id"]: s for s in self._sheets.values()}
            for grid in ranges:
                sheet = by_id.get(grid.get("sheetId"))
                start, end = grid.get("startIndex", 0), grid.get("endIndex", 0)
                if sheet is None or grid.get("dimension") != "ROWS" or not 0 <= start < end <= sheet["row_count"]:
                    return 400, error_body(400, f"Invalid deleteDimension range: {grid}", "INVALID_ARGUMENT")
            for grid in ranges:
                sheet = by_id[grid["sheetId"]]
                del sheet["rows"][grid["startIndex"] : grid["endIndex"]]
                sheet["row_count"] -= grid["endIndex"] - grid["startIndex"]
        return 200, {"spreadsheetId": self.spreadsheet_id, "replies": [{} for _ in ranges]}

    def _values_get(self, range_text: str, render: str) -> tuple[int, dict[str, Any]]:
        title, (r1, c1, r2, c2) = parse_range(range_text)
        with self._lock:
            sheet = self._sheets.get(title)
            if sheet is None:
                return 400, error_body(400, f"Unable to parse range: {range_text}", "INVALID_ARGUMENT")
            if (r2 or r1) > sheet["row_count"] or r1 > sheet["row_count"]:
                return 400, error_body(400, f"Range ({range_text}) exceeds grid limits. Max rows: {sheet['row_count']}", "INVALID_ARGUMENT")
            rows = sheet["rows"][r1 - 1 : r2]
            out = []
            for row in rows:
                cells = row[c1 - 1 : c2]
                if render != "UNFORMATTED_VALUE":
                    cells = [c if isinstance(c, str) else ("TRUE" if c is True else "FALSE" if c is False else str(c)) for c in cells]
                while cells and cells[-1] == "":
                    cells.pop()
                out.append(cells)
        while out and not out[-1]:
            out.pop()
        body: dict[str, Any] = {"range": range_text, "majorDimension": "ROWS"}
        if out:
            body["values"] = out
        return 200, body

    def _values_update(self, range_text: str, values: list[list[Any]]) -> tuple[int, dict[str, Any]]:
        if _too_long(values):
            return 400, error_body(400, _TOO_LONG, "INVALID_ARGUMENT")
        title, (r1, c1, _r2, _c2) = parse_range(range_text)
        with self._lock:
            sheet = self._sheets.get(title)
            if sheet is None:
                return 400, error_body(400, f"Unable to parse range: {range_text}", "INVALID_ARGUMENT")
            rows = sheet["rows"]
            for offset, values_row in enumerate(values):
                index = r1 - 1 + offset
                while len(rows) <= index:
                    rows.append([])
                row = rows[index]
                while len(row) < c1 - 1 + len(values_row):
                    row.append("")
                row[c1 - 1 : c1 - 1 + len(values_row)] = list(values_row)
        return 200, {"spreadsheetId": self.spreadsheet_id, "updatedRange": range_text, "updatedRows": len(values)}

    def _append(self, range_text: str, values: list[list[Any]]) -> tuple[int, dict[str, Any]]:
        if _too_long(values):
            return 400, error_body(400, _TOO_LONG, "INVALID_ARGUMENT")
        title, _ = parse_range(range_text)
        with self._lock:
            sheet = self._sheets.get(title)
            if sheet is None:
                return 400, error_body(400, f"Unable to parse range: {range_text}", "INVALID_ARGUMENT")
            rows = sheet["rows"]
            while rows and not any(c != "" for c in rows[-1]):
                rows.pop()
            first = len(rows) + 1
            rows.extend(list(r) for r in values)
            last = len(rows)
            if last > sheet["row_count"]:
                sheet["row_count"] = last
            width = max((len(r) for r in values), default=1)
        quoted = "'" + title.replace("'", "''") + "'"
        updated = f"{quoted}!A{first}:{col_letters(max(width, 1))}{last}"
        return 200, {
            "spreadsheetId": self.spreadsheet_id,
            "tableRange": f"{quoted}!A1:{col_letters(max(width, 1))}{first - 1}" if first > 1 else None,
            "updates": {"spreadsheetId": self.spreadsheet_id, "updatedRange": updated, "updatedRows": len(values), "updatedColumns": width, "updatedCells": sum(len(r) for r in values)},
        }


_TOO_LONG = f"Your input contains more than the maximum of {CELL_LIMIT} characters in a single cell."


def _too_long(values: list[list[Any]]) -> bool:
    """True when a cell is over Google's limit, counted in UTF-16 code units as Google does."""
    return any(
        isinstance(cell, str) and len(cell) > CELL_LIMIT // 2 and len(cell.encode("utf-16-le", "surrogatepass")) // 2 > CELL_LIMIT
        for row in values
        for cell in row
    )


FakeSheetsServer.handler_class = SheetsHandler
