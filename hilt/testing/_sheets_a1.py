"""A1 notation for the fake Sheets API: ``'Title'!A2:C`` ranges and column letters."""

from __future__ import annotations

import re

__all__ = ["col_letters", "parse_range"]


def col_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + (ord(char) - 64)
    return number


def col_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_A1 = re.compile(r"^([A-Z]*)(\d*)(?::([A-Z]*)(\d*))?$")


def parse_range(text: str) -> tuple[str, tuple[int, int, int | None, int | None]]:
    """``'Logs'!A2:C`` → ``("Logs", (first_row, first_col, last_row or None, last_col or None))``."""
    if text.startswith("'"):
        end = 1
        while True:
            end = text.index("'", end)
            if text[end + 1 : end + 2] == "'":
                end += 2
                continue
            break
        title, rest = text[1:end].replace("''", "'"), text[end + 1 :]
    else:
        title, _, rest = text.partition("!")
        rest = "!" + rest if rest else ""
    cells = rest[1:] if rest.startswith("!") else ""
    if not cells:
        return title, (1, 1, None, None)
    match = _A1.match(cells)
    if not match:
        raise ValueError(f"bad range {text!r}")
    c1, r1, c2, r2 = match.groups()
    if match.group(3) is None and match.group(4) is None:  # a single cell
        c2, r2 = c1, r1
    return title, (
        int(r1) if r1 else 1,
        col_number(c1) if c1 else 1,
        int(r2) if r2 else None,
        col_number(c2) if c2 else None,
    )
