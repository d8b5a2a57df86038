"""Embedded charts for the fake Sheets API: ``batchUpdate`` ``addChart`` and ``deleteEmbeddedObject``.

Charts are stored as Google returns them in the spreadsheet's metadata (``sheets[].charts[]``: ``chartId``,
``spec``, ``position``). A batch is applied whole or not at all, like Google's: a request naming a sheet or
chart that does not exist answers 400 and changes nothing.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._sheets_server import FakeSheetsServer

__all__ = ["CHART_REQUESTS", "apply_chart_requests", "is_chart_batch"]

CHART_REQUESTS = frozenset({"addChart", "deleteEmbeddedObject"})


def is_chart_batch(requests: list[Any]) -> bool:
    """True when every request of a ``batchUpdate`` is one this module handles."""
    return bool(requests) and all(isinstance(r, dict) and len(r) == 1 and next(iter(r)) in CHART_REQUESTS for r in requests)


def _sheet_ids(fake: FakeSheetsServer) -> set[int]:
    return {sheet["id"] for sheet in fake._sheets.values()}


def _anchor_sheet(chart: dict[str, Any]) -> Any:
    return (((chart.get("position") or {}).get("overlayPosition") or {}).get("anchorCell") or {}).get("sheetId")


def apply_chart_requests(fake: FakeSheetsServer, spreadsheet_id: str, requests: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """Apply ``requests`` (all in :data:`CHART_REQUESTS`) to ``fake``'s charts; ``(status, reply)``."""
    from ._sheets_http import error_body

    with fake._lock:
        charts = copy.deepcopy(fake._charts)
        next_id = fake._next_chart_id
        replies: list[dict[str, Any]] = []
        for request in requests:
            (name, args), = request.items()
            if name == "addChart":
                chart = copy.deepcopy((args or {}).get("chart") or {})
                if _anchor_sheet(chart) not in _sheet_ids(fake):
                    return 400, error_body(400, f"Invalid requests[{len(replies)}].addChart: no sheet with the anchor's sheetId", "INVALID_ARGUMENT")
                if "chartId" not in chart:
                    chart["chartId"], next_id = next_id, next_id + 1
                charts.append(chart)
                replies.append({"addChart": {"chart": copy.deepcopy(chart)}})
            else:  # deleteEmbeddedObject
                object_id = (args or {}).get("objectId")
                kept = [c for c in charts if c.get("chartId") != object_id]
                if len(kept) == len(charts):
                    return 400, error_body(400, f"Invalid requests[{len(replies)}].deleteEmbeddedObject: No object with id: {object_id}", "INVALID_ARGUMENT")
                charts = kept
                replies.append({})
        fake._charts, fake._next_chart_id = charts, next_id
    return 200, {"spreadsheetId": spreadsheet_id, "replies": replies}


def charts_of(fake: FakeSheetsServer, sheet_id: int) -> list[dict[str, Any]]:
    """The charts anchored on sheet ``sheet_id`` (copies); call with ``fake._lock`` held."""
    return [copy.deepcopy(c) for c in fake._charts if _anchor_sheet(c) == sheet_id]
