"""The precision and recall docs/privacy.md states are the ones the labelled set gives today."""

from __future__ import annotations

import re

from tests._docs import ROOT
from tests.privacy.precision import scores, table


def test_docs_table_is_computed_from_the_labelled_set():
    """The table between the precision markers in docs/privacy.md equals a fresh run of tests/privacy/precision.py."""
    page = (ROOT / "docs" / "privacy.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- precision table: .*? -->\n(.*?)\n<!-- end of precision table -->", page, re.S)
    assert shown is not None
    assert shown.group(1) == table()


def test_every_redactor_is_measured_and_precise():
    """Each built-in has at least five labelled matches in the set and keeps a precision of at least 0.85."""
    for name, s in scores().items():
        assert s["true"] + s["missed"] >= 5, name
        assert s["true"] / (s["true"] + s["false"]) >= 0.85, (name, s)
