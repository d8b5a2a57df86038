"""The Python examples in the docs run as written (against the loopback server)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = ["index.md", "quickstart.md"]


def python_blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(encoding="utf-8"), flags=re.S)


def test_every_page_has_examples():
    """Each page checked here has at least one Python example."""
    for page in PAGES:
        assert python_blocks(page), page


@pytest.mark.parametrize("page", PAGES)
def test_examples_run(page, server, tmp_path, monkeypatch, capsys):
    """Every python block of the page runs, in order, in a fresh folder, against the fake OpenAI server."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "docs-key")
    namespace: dict[str, object] = {}
    for block in python_blocks(page):
        exec(compile(block, f"{page} example", "exec"), namespace)
    logs = list((tmp_path / "logs").glob("*.jsonl"))
    assert logs, "the examples wrote a log"
    assert "docs-key" not in "".join(p.read_text() for p in logs)
