"""Which worksheet rows go to, and its header row: HILT never overwrites a row it did not write.

The configured worksheet (default ``Logs``) is used when its first row is HILT's header or empty (the header
is then written); if it is missing it is created. If its first row is anything else, rows go to a worksheet
named after the column set (:func:`~hilt.writers.sheets._rows.fallback_worksheet_title`), settled the same way.
"""

from __future__ import annotations

from typing import Any

from ..._safety import report
from ...exceptions import WriterError
from ._rows import fallback_worksheet_title

__all__ = ["NEW_WORKSHEET_ROWS", "a1", "reply_values", "settle_worksheet"]

NEW_WORKSHEET_ROWS = 1000


def a1(title: str, cells: str) -> str:
    """``'Title'!cells`` with quotes in the title doubled."""
    return "'" + title.replace("'", "''") + "'!" + cells


def reply_values(reply: Any) -> list[list[Any]]:
    """The rows of a ``values.get`` reply; ``ValueError`` when the reply is malformed (untrusted input)."""
    values = reply.get("values", []) if isinstance(reply, dict) else None
    if not isinstance(values, list) or not all(isinstance(row, list) for row in values):
        raise ValueError(f"malformed values reply: {str(reply)[:200]}")
    return values


def _first_row(reply: Any) -> list[str]:
    values = reply_values(reply)
    return [str(v) for v in values[0]] if values else []


def settle_worksheet(spreadsheet: Any, columns: tuple[str, ...], wanted: str, sheet_id: str) -> tuple[Any, int | None]:
    """The worksheet to append to, and ``1`` when HILT just wrote its header (else ``None``).

    Raises:
        WriterError: both the wanted worksheet and its fallback have a foreign header.
    """
    header = list(columns)
    titles = [wanted, fallback_worksheet_title(wanted, columns)]
    existing = {ws.title: ws for ws in spreadsheet.worksheets()}
    for index, title in enumerate(titles):
        ws = existing.get(title)
        if ws is None:
            return _create_worksheet(spreadsheet, title, columns)
        row = _first_row(spreadsheet.values_get(a1(title, "1:1")))
        while row and row[-1] == "":
            row.pop()
        if not row:
            ws.append_rows([header], value_input_option="RAW")
            return ws, 1  # only the header is there
        if row == header:
            return ws, None
        if index == 0:
            report(
                f"sheets-header:{sheet_id}:{title}",
                "HILT: worksheet %r has other columns than HILT's (%s); rows go to worksheet %r instead",
                title,
                ", ".join(header),
                titles[1],
            )
    raise WriterError(
        f"worksheets {titles[0]!r} and {titles[1]!r} of sheet {sheet_id!r} both have other headers "
        f"than {header}; set worksheet_name to a new worksheet (HILT never overwrites rows)"
    )


def _create_worksheet(spreadsheet: Any, title: str, columns: tuple[str, ...]) -> tuple[Any, int | None]:
    from gspread.exceptions import APIError

    try:
        ws = spreadsheet.add_worksheet(title, rows=NEW_WORKSHEET_ROWS, cols=len(columns))
    except APIError as exc:
        if exc.code != 400:
            raise
        ws = spreadsheet.worksheet(title)  # created meanwhile by someone else
        found = _first_row(spreadsheet.values_get(a1(title, "1:1")))
        if found:
            if found != list(columns):
                raise WriterError(f"worksheet {title!r} appeared with another header; set worksheet_name") from None
            return ws, None
    ws.append_rows([list(columns)], value_input_option="RAW")
    return ws, 1  # only the header is there
