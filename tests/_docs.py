"""Finding and checking the examples in the documentation (used by the docs tests; not a test module)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NO_RUN = re.compile(r"^<!-- no-run(?:: (?P<reason>[^>]*?))? -->$", re.M)
SHELL = ("console", "bash")

_FENCE = re.compile(
    r"(?P<marker>^<!-- no-run(?:: (?P<reason>[^>]*?))? -->\s*\n)?^(?P<indent> *)```(?P<lang>[a-z]+)\n(?P<body>.*?)^(?P=indent)```$",
    re.S | re.M,
)


def pages() -> list[Path]:
    """README.md and every page of docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(text: str, *langs: str, include_no_run: bool = False) -> list[str]:
    """The fenced blocks of a page in one of ``langs``, dedented, in order; a block after
    ``<!-- no-run -->`` (or ``<!-- no-run: why -->``) is left out."""
    return [
        textwrap.dedent(m["body"])
        for m in _FENCE.finditer(text)
        if m["lang"] in langs and (include_no_run or not m["marker"])
    ]


def skipped_blocks(text: str) -> list[tuple[str, str, str | None]]:
    """``(lang, body, reason)`` of every block marked ``no-run``."""
    return [(m["lang"], textwrap.dedent(m["body"]), m["reason"]) for m in _FENCE.finditer(text) if m["marker"]]


def console_steps(block: str) -> list[tuple[str, list[str]]]:
    """``(command, expected output lines)`` for each ``$ command`` of a console block.

    A block without any ``$`` prompt is a list of commands, one per line, whose output is not shown.
    """
    lines = [line for line in block.splitlines() if line.strip()]
    if not any(line.startswith("$ ") for line in lines):
        return [(line.split("  #")[0].strip(), []) for line in lines if not line.lstrip().startswith("#")]
    steps: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    return steps


def expected_matches(expected: list[str], actual: list[str]) -> bool:
    """Each expected line matches a later actual line, in order; ``...`` stands for any text (a line of it: any lines)."""
    patterns = [re.compile(re.escape(line).replace(re.escape("..."), ".*") + r"\Z") for line in expected if line != "..."]
    remaining = iter(actual)
    return all(any(p.match(line) for line in remaining) for p in patterns)
