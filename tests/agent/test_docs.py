"""The examples in docs/agent.md and docs/configuration.md are run: TOML blocks are loaded, console blocks executed."""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
from pathlib import Path

import pytest

from hilt._config import FIELDS, env_name, load_settings
from hilt._trust import trust
from hilt.testing import read_lines

from tests.agent._venvs import APP, ROOT

DOCS = {name: (ROOT / "docs" / name).read_text() for name in ("agent.md", "configuration.md")}


def blocks(text: str, lang: str) -> list[str]:
    return [textwrap.dedent(m.group(1)) for m in re.finditer(rf"^ *```{lang}\n(.*?)^ *```$", text, re.S | re.M)]


def console_cases() -> list[tuple[str, int, str]]:
    return [(name, i, block) for name, text in DOCS.items() for i, block in enumerate(blocks(text, "console"))]


def test_every_setting_is_documented() -> None:
    """docs/configuration.md has a table row for every key with its environment name."""
    for key in FIELDS:
        assert f"| `{key}` | `{env_name(key)}` |" in DOCS["configuration.md"]


@pytest.mark.parametrize("block", blocks(DOCS["configuration.md"], "toml"))
def test_toml_examples_load(block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every TOML example is a valid HILT configuration, read from the (trusted) file it is meant for."""
    name = "pyproject.toml" if "[tool.hilt]" in block else "hilt.toml"
    (tmp_path / name).write_text(block)
    monkeypatch.chdir(tmp_path)
    trust(name)
    settings = load_settings()
    assert settings.filepath == "logs/app.jsonl" and settings.sources["filepath"] == str(tmp_path / name)


def expected_matches(expected: list[str], actual: list[str]) -> bool:
    """Each expected line matches a later actual line, in order; ``...`` stands for any text (a line of it: any lines)."""
    patterns = [re.compile(re.escape(line).replace(re.escape("..."), ".*") + r"\Z") for line in expected if line != "..."]
    lines = iter(actual)
    return all(any(p.match(line) for line in lines) for p in patterns)


@pytest.mark.parametrize(("doc", "index", "block"), console_cases(), ids=lambda v: str(v)[:20])
def test_console_examples_run(doc: str, index: int, block: str, venv, server, tmp_path: Path) -> None:
    """Each ``$ command`` runs in a folder holding app.py with the venv first on PATH; its output is as shown."""
    (tmp_path / "app.py").write_text(APP)
    env = {**os.environ, "PATH": f"{venv.bin}{os.pathsep}{os.environ['PATH']}", "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "k"}
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    for command, expected in steps:
        result = subprocess.run(["bash", "-c", command + " 2>&1"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        actual = result.stdout.splitlines()
        assert expected_matches(expected, actual), f"{doc}: {command}\n{result.stdout}"
        if not expected or "command not found" not in expected[-1]:
            assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("block", blocks(DOCS["agent.md"], "python"))
def test_python_examples_run(block: str, venv, run, workdir: Path) -> None:
    """Each Python example, followed by one chat call, logs one event pair to events.jsonl."""
    result = run([venv.python, "-c", block + "import app\n"])
    assert (result.returncode, result.stderr) == (0, "")
    assert [e["action"] for e in read_lines(workdir / "events.jsonl")] == ["prompt", "completion"]
