"""Every Python and console example in README.md and docs/ runs as written, against the loopback server.

``docs/agent.md`` and ``docs/configuration.md`` are run in fresh virtual environments by
``tests/agent/test_docs.py``; a block preceded by ``<!-- no-run -->`` is not run (installation commands,
credentials the tests do not have).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


from tests._docs import NO_RUN, ROOT, SHELL, blocks, console_steps, expected_matches, pages, skipped_blocks

AGENT_PAGES = {"agent.md", "configuration.md"}  # run by tests/agent/test_docs.py
APP = """import openai
client = openai.OpenAI(max_retries=0)
reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)
"""


@contextlib.contextmanager
def sheets_api(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """docs/sheets.md's example talks to a fake Sheets API with a generated service-account key in the folder."""
    import hilt
    from hilt.testing import FakeSheetsServer

    with FakeSheetsServer(spreadsheet_id="1AbC…xyz") as fake:
        fake.write_service_account(folder / "service-account.json")
        monkeypatch.setenv("HILT_SHEETS_ENDPOINT", fake.endpoint)
        yield
        hilt.uninstrument()


@contextlib.contextmanager
def demo_log(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pages that read a log find the one ``hilt demo`` writes at logs/app.jsonl."""
    from hilt.cli import main

    assert main(["demo", "--filepath", str(folder / "logs" / "app.jsonl")]) == 0
    yield


@contextlib.contextmanager
def otlp_receiver(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """docs/opentelemetry.md backfills the demo log to a loopback OTLP receiver; the spans arrive."""
    from hilt.testing import OtlpReceiver

    with OtlpReceiver() as receiver, demo_log(folder, monkeypatch):
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        yield
        assert len(receiver.wait_for_spans(5)) == 5


PAGE_SETUP = {"sheets.md": sheets_api, "cli.md": demo_log, "opentelemetry.md": otlp_receiver}
CHECKED_BY_SCRIPT = {"cli.md"}  # its console blocks are real output, compared by python -m scripts.cli_docs --check


def python_pages() -> list[Path]:
    return [p for p in pages() if p.name not in AGENT_PAGES and blocks(p.read_text(encoding="utf-8"), "python")]


def console_cases() -> list[tuple[str, int, str]]:
    return [
        (p.name, i, block)
        for p in pages()
        if p.name not in AGENT_PAGES | CHECKED_BY_SCRIPT
        for i, block in enumerate(blocks(p.read_text(encoding="utf-8"), *SHELL))
    ]


NOT_RUNNABLE = ("pip ", "python -m venv ", "tox", "pytest", "python -m benchmarks.")


def test_only_installs_test_runs_and_outside_services_are_not_run():
    """Python examples always run; a shell example is left out only for installs, test runs and benchmarks,
    or with a stated reason (a service that is not on this machine)."""
    for page in pages():
        text = page.read_text(encoding="utf-8")
        skipped = skipped_blocks(text)
        assert len(skipped) == len(NO_RUN.findall(text)), page.name  # every marker sits right above a block
        for lang, block, reason in skipped:
            assert lang in SHELL, (page.name, block)
            if reason:
                continue
            for command, _ in console_steps(block):
                assert any(part.strip().startswith(NOT_RUNNABLE) for part in command.split("&&")), (page.name, command)


@pytest.mark.parametrize("page", python_pages(), ids=lambda p: p.name)
def test_python_examples_run(page: Path, server, tmp_path, monkeypatch):
    """Every python block of the page runs, in order and in one namespace, in a fresh folder; no API key is logged."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "docs-key")
    namespace: dict[str, object] = {"__name__": "__docs__"}
    setup = PAGE_SETUP.get(page.name, lambda folder, mp: contextlib.nullcontext())
    with setup(tmp_path, monkeypatch):
        for block in blocks(page.read_text(encoding="utf-8"), "python"):
            exec(compile(block, f"{page.name} example", "exec"), namespace)
    written = "".join(p.read_text() for p in tmp_path.rglob("*.jsonl"))
    assert "docs-key" not in written


@pytest.mark.parametrize(("page", "index", "block"), console_cases(), ids=lambda v: str(v)[:24])
def test_console_examples_run(page: str, index: int, block: str, server, tmp_path):
    """Each console command runs in a folder holding app.py, with this environment's scripts first on PATH; its output is as shown."""
    (tmp_path / "app.py").write_text(APP)
    bin_dir = os.path.dirname(sys.executable)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "docs-key",
        "HILT_RAISE_INTERNAL_ERRORS": "",
    }
    for command, expected in console_steps(block):
        result = subprocess.run(["bash", "-c", command + " 2>&1"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{page}: {command}\n{result.stdout}"
        assert expected_matches(expected, result.stdout.splitlines()), f"{page}: {command}\n{result.stdout}"


def test_cli_page_shows_current_output():
    """docs/cli.md equals a fresh run of python -m scripts.cli_docs once times, ids and latencies are masked."""
    import openai

    if int(openai.__version__.split(".")[0]) < 3:  # older SDKs word their error messages differently
        pytest.skip("docs/cli.md shows the output of the newest openai SDK (3.x)")
    result = subprocess.run(
        [sys.executable, "-m", "scripts.cli_docs", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_version_agrees():
    """The package version, the newest released version in CHANGELOG.md and provenance.hilt on events agree."""
    import hilt
    from hilt._runtime import process_info

    released = re.findall(r"^## (\d+\.\d+\.\d+)", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), flags=re.M)
    assert released and released[0] == hilt.__version__
    assert process_info()["hilt"] == hilt.__version__


SCHEMA_FILE = "hilt/schema/event.schema.json"


def test_events_page_includes_the_shipped_schema():
    """docs/events.md includes hilt/schema/event.schema.json as a snippet (so it cannot drift) and its key table
    names exactly the schema's top-level properties, in order."""
    from hilt.schema import load_schema

    text = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    assert [b.strip() for b in blocks(text, "json") if "--8<--" in b] == [f'--8<-- "{SCHEMA_FILE}"']
    key_table = text.split("## The events of one call")[0]
    assert re.findall(r"^\| `(\w+)` \|", key_table, re.M) == list(load_schema()["properties"])


def test_events_page_renders_the_schema_file():
    """Rendered with the site's Markdown extensions, the page's schema block parses to the shipped schema."""
    import html
    import json

    markdown = pytest.importorskip("markdown", reason="the docs extra (mkdocs) is not installed")
    pytest.importorskip("pymdownx", reason="the docs extra (pymdown-extensions) is not installed")
    from hilt.schema import load_schema

    page = markdown.markdown(
        (ROOT / "docs" / "events.md").read_text(encoding="utf-8"),
        extensions=["admonition", "pymdownx.details", "pymdownx.superfences", "pymdownx.snippets"],
        extension_configs={"pymdownx.snippets": {"base_path": [str(ROOT)], "check_paths": True}},
    )
    [code] = re.findall(rf"{SCHEMA_FILE}</summary>.*?<code>(.*?)</code>", page, re.S)
    assert json.loads(html.unescape(re.sub(r"<[^>]+>", "", code))) == load_schema()


@pytest.mark.parametrize(("flag", "started"), [("-I", True), ("-E", True), ("-S", False)])
def test_interpreter_flags_and_the_start_up_hook(flag: str, started: bool, tmp_path):
    """As docs/faq.md says: with HILT_ENABLED=1, ``python -I`` and ``python -E`` still run hilt.pth and start the
    agent; ``python -S`` runs no .pth file, so the agent does not start."""
    from hilt_agent._install import pth_installed

    if not pth_installed():
        pytest.skip("hilt.pth is not installed in this environment")
    env = {**os.environ, "HILT_ENABLED": "1", "HILT_FILEPATH": str(tmp_path / "events.jsonl"), "HILT_RAISE_INTERNAL_ERRORS": ""}
    code = "import sys; print('hilt_agent._bootstrap' in sys.modules)"
    result = subprocess.run([sys.executable, flag, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert (result.stdout, result.stderr) == (f"{started}\n", "")


_TEST_REFERENCE = re.compile(r"(?<![\w/])((?:tests/[\w/]+/)?test_\w+\.py)(?:::(\w+\*?))?")


def test_tests_named_in_the_docs_exist():
    """Every test file (and ``file::test`` name) a page cites as evidence exists; ``test_x*`` matches a prefix."""
    files = {p.relative_to(ROOT).as_posix(): p for p in (ROOT / "tests").rglob("test_*.py")}
    for page in pages():
        for name, test in _TEST_REFERENCE.findall(page.read_text(encoding="utf-8")):
            found = [p for rel, p in files.items() if rel == name or rel.endswith("/" + name)]
            assert found, f"{page.name}: {name} does not exist"
            if test:
                pattern = re.escape(test.rstrip("*")) + (r"\w*" if test.endswith("*") else r"\b")
                assert any(re.search(rf"^(async )?def {pattern}", p.read_text(), re.M) for p in found), f"{page.name}: {name}::{test}"


@pytest.mark.parametrize("module", ["hilt", "hilt.logs"])
def test_every_public_name_is_on_the_api_page(module: str):
    """Each name in ``hilt.__all__`` and ``hilt.logs.__all__`` (but ``__version__``) is documented in docs/api.md:
    a ``::: module.name`` entry, or the name in backticks (constants, the error classes of ``::: hilt.exceptions``)."""
    import importlib

    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    names = [name for name in importlib.import_module(module).__all__ if name != "__version__"]
    missing = [
        name
        for name in names
        if not re.search(rf"^::: {re.escape(module)}(\.[\w.]+)?\.{name}$", page, re.M)
        and not re.search(rf"`(hilt\.)?{name}`", page)
    ]
    assert missing == []
