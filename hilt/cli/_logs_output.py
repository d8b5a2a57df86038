"""How ``hilt logs`` prints: control characters escaped, tables on a terminal, plain text in a pipe, JSON.

Everything a log holds is untrusted text: a prompt may carry ``ESC[2J`` or an OSC title sequence. Every
string printed goes through :func:`escape_controls`, JSON output included (there, as ``\\u`` escapes,
so the JSON still parses back to the same data).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from wcwidth import wcswidth, wcwidth

__all__ = ["Output", "display_width", "escape_controls", "fit", "format_cost", "format_ms", "one_line", "pad"]

# C0 controls except tab/newline (handled by the callers), DEL, C1 controls, and the twelve Unicode bidi
# controls (marks, embeddings, overrides, isolates) that can reorder what a terminal shows.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROLS_WITH_LAYOUT = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def create_private(path: str | os.PathLike[str]) -> None:
    """Create the output file ``path`` with mode 0600 when it does not exist (it will hold prompts and answers)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600))


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def escape_controls(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every terminal control character shown as ``\\x1b``-style text (tabs and newlines kept
    only when ``keep_newlines``), so printing it cannot move the cursor, clear the screen or retitle the window."""
    pattern = _CONTROLS if keep_newlines else _CONTROLS_WITH_LAYOUT
    return pattern.sub(_visible, text)


def display_width(text: str) -> int:
    """The terminal columns ``text`` takes: two for a wide East Asian character or an emoji, none for a
    combining mark (``wcwidth``); controls are escaped before this is asked."""
    if text.isascii():
        return len(text)
    width = wcswidth(text)
    return width if width >= 0 else len(text)


def _cut(text: str, columns: int) -> str:
    """The longest start of ``text`` that fits in ``columns`` terminal columns."""
    used = 0
    for index, char in enumerate(text):
        used += max(wcwidth(char), 0)
        if used > columns:
            return text[:index]
    return text


def one_line(text: Any, width: int | None = None) -> str:
    """Logged text on one line: whitespace runs collapsed, controls escaped, cut to ``width`` terminal
    columns with ``…``."""
    flat = " ".join(("" if text is None else str(text)).split())
    flat = escape_controls(flat)
    if width is not None and display_width(flat) > width:
        flat = _cut(flat, max(0, width - 1)) + "…"
    return flat


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` terminal columns (on the left when ``right``)."""
    spaces = " " * (width - display_width(text))
    return spaces + text if right else text + spaces


def fit(text: Any, width: int, *, right: bool = False) -> str:
    """:func:`one_line` ``text``, exactly ``width`` terminal columns wide: cut with ``…``, or padded (on the
    left when ``right``)."""
    return pad(one_line(text, width), width, right=right)


def format_cost(value: float | None) -> str:
    """``$0.001234``; ``n/a`` when unknown (never ``$0``)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if value == 0:
        return "$0"
    if 0 < value < 0.0000005:  # would round to $0.000000: a real price is never shown as free
        return "<$0.000001"
    return f"${value:.6f}" if value < 1 else f"${value:,.2f}"


def format_ms(value: float | None) -> str:
    """``123 ms``, ``1.5 s``; ``-`` when unknown."""
    if value is None:
        return "-"
    if value >= 10_000:
        return f"{value / 1000:.1f} s"
    return f"{value:.0f} ms" if value >= 10 or float(value).is_integer() else f"{value:.1f} ms"


class Output:
    """Where a command prints: knows whether stdout is a terminal, whether colour is allowed, and ``--json``."""

    def __init__(self, stream: TextIO | None = None, *, json_mode: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.json_mode = json_mode
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        # no-color.org: NO_COLOR turns colour off when it is set to a non-empty value
        self.color = self.tty and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"

    def line(self, text: str = "") -> None:
        """Print one line (the caller has escaped logged text already)."""
        self.stream.write(text + "\n")

    def json(self, value: Any, *, indent: int | None = 2) -> None:
        """Print ``value`` as JSON, control characters as ``\\u`` escapes."""
        text = json.dumps(value, indent=indent, ensure_ascii=False, default=str)
        self.stream.write(_CONTROLS.sub(_json_escape, text) + "\n")

    def style(self, text: str, *codes: str) -> str:
        """``text`` in SGR ``codes`` (``"1"`` bold, ``"31"`` red...) on a colour terminal, else as is."""
        if not self.color or not codes:
            return text
        return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]], *, numeric: Sequence[bool] = ()) -> None:
        """Aligned columns: a ruled table with a bold header on a terminal, plain space-aligned text in a pipe."""
        cells = [[one_line(cell) for cell in row] for row in rows]
        widths = [display_width(h) for h in headers]
        for row in cells:
            for index, cell in enumerate(row):
                widths[index] = max(widths[index], display_width(cell))
        right = list(numeric) + [False] * (len(headers) - len(numeric))

        def render(row: Sequence[str]) -> str:
            parts = [pad(cell, w, right=r) for cell, w, r in zip(row, widths, right)]
            return "  ".join(parts).rstrip()

        if self.tty:
            self.line(self.style(render(list(headers)), "1"))
            self.line("─" * (sum(widths) + 2 * (len(widths) - 1)))
        else:
            self.line(render(list(headers)))
        for row in cells:
            self.line(render(row))
