"""Precision and recall of each built-in redactor on the labelled set ``tests/privacy/data/labelled.jsonl``.

Each line is ``{"text": ..., "matches": {"email": ["ada@example.com"], ...}}``: the exact substrings
each redactor must replace; every other text a redactor replaces is a false positive (look-alikes
such as order numbers, dates and versions are lines with no matches). Every redactor runs over every
line, alone. ``python -m tests.privacy.precision`` prints the table docs/privacy.md shows; a test
checks the page agrees.
"""

from __future__ import annotations

import json
from pathlib import Path

from hilt.privacy import BUILTIN_NAMES
from hilt.privacy._patterns import BUILTINS, Views

DATA = Path(__file__).parent / "data" / "labelled.jsonl"


def labelled() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def scores() -> dict[str, dict[str, int]]:
    """``{name: {"true": ..., "false": ..., "missed": ...}}`` over the labelled set."""
    result = {}
    for name in BUILTIN_NAMES:
        true = false = missed = 0
        for case in labelled():
            text, expected = case["text"], list(case["matches"].get(name, []))
            for start, end in BUILTINS[name].find(Views(text)):
                found = text[start:end]
                if found in expected:
                    expected.remove(found)
                    true += 1
                else:
                    false += 1
            missed += len(expected)
        result[name] = {"true": true, "false": false, "missed": missed}
    return result


def table() -> str:
    """The Markdown table of docs/privacy.md."""
    lines = ["| redactor | matches in the set | look-alikes replaced | matches missed | precision | recall |", "|---|---|---|---|---|---|"]
    for name, s in scores().items():
        labelled_count = s["true"] + s["missed"]
        precision = s["true"] / (s["true"] + s["false"]) if s["true"] + s["false"] else 1.0
        recall = s["true"] / labelled_count if labelled_count else 1.0
        lines.append(f"| `{name}` | {labelled_count} | {s['false']} | {s['missed']} | {precision:.2f} | {recall:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
