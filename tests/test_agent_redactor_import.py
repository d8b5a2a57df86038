"""The agent with a ``module:function`` redactor that cannot be imported: the usual one-line start-up warning,
and with ``HILT_STRICT=1`` exit status 78, as for every other configuration problem."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hilt.testing import FakeOpenAIServer

APP = """
import openai
reply = openai.OpenAI(max_retries=0).chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)
"""
EXPECTED = (
    'env HILT_REDACT: redact: expected a built-in redactor name or an importable "module:function" taking and returning '
    "a string (ModuleNotFoundError: No module named 'nosuchmod'), got 'nosuchmod:fn'"
)


def _run(server: FakeOpenAIServer, folder: Path, app: str = APP, **extra: str) -> subprocess.CompletedProcess[str]:
    (folder / "app.py").write_text(app)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HILT_", "OPENAI_"))}
    env.update(HILT_ENABLED="1", HILT_REDACT="nosuchmod:fn", OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="k", **extra)
    return subprocess.run([sys.executable, "app.py"], cwd=folder, capture_output=True, text=True, env=env, timeout=60)


def test_unimportable_redactor_is_one_warning_line_and_an_uninstrumented_run(server: FakeOpenAIServer, tmp_path: Path) -> None:
    """The program runs and prints its reply; stderr is the agent's one warning line; no log is written."""
    result = _run(server, tmp_path, HILT_FILEPATH=str(tmp_path / "events.jsonl"))
    assert (result.returncode, result.stdout) == (0, "Hello! How can I help you today?\n")
    assert result.stderr == f"hilt: warning: {EXPECTED}; this run is not instrumented\n"
    assert not (tmp_path / "events.jsonl").exists()


def test_unimportable_redactor_with_strict_stops_the_program(server: FakeOpenAIServer, tmp_path: Path) -> None:
    """With HILT_STRICT=1 the program stops with exit status 78 before its call, naming the setting."""
    result = _run(server, tmp_path, HILT_FILEPATH=str(tmp_path / "events.jsonl"), HILT_STRICT="1")
    assert (result.returncode, result.stdout) == (78, "")
    assert result.stderr == f"hilt: error: {EXPECTED}; HILT_STRICT is set, so the program does not run\n"


def test_unimportable_redactor_warning_goes_through_the_hilt_logger(server: FakeOpenAIServer, tmp_path: Path) -> None:
    """Inside the running program the warning is a record of the hilt logger, formatted by the app's own handler."""
    app = "import logging\nlogging.basicConfig(format='%(name)s|%(levelname)s|%(message)s')\n" + APP
    result = _run(server, tmp_path, app, HILT_FILEPATH=str(tmp_path / "events.jsonl"))
    assert result.returncode == 0
    assert result.stderr == f"hilt|WARNING|hilt: warning: {EXPECTED}; this run is not instrumented\n"
