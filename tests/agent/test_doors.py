"""The three doors (HILT_ENABLED=1, hilt-agent, instrument()) in installed venvs, and idempotency."""

from __future__ import annotations

from pathlib import Path

import pytest

from hilt.testing import read_lines

REPLY = "Hello! How can I help you today?\n"


def test_pip_install_puts_start_up_files_in_site_packages(venv, editable_venv) -> None:
    """``pip install .`` and ``pip install -e .`` both install hilt.pth, hilt.start and the fallback sitecustomize."""
    for env in (venv, editable_venv):
        site = env.site_packages
        assert (site / "hilt.pth").read_text() == "import hilt_agent._gate; hilt_agent._gate.run()\n"
        assert (site / "hilt.start").read_text() == "hilt_agent._gate:run\n"
        assert (site / "hilt_agent_bootstrap" / "sitecustomize.py").is_file()
        assert (env.bin / "hilt-agent").is_file()


@pytest.mark.parametrize("which", ["venv", "editable_venv"])
def test_env_toggle_logs_one_pair(request, which: str, run, workdir: Path) -> None:
    """HILT_ENABLED=1 logs exactly one prompt/completion pair, with the child's pid and a run id."""
    env = request.getfixturevalue(which)
    log = workdir / "events.jsonl"
    result = run([env.python, "-c", "import app, os; print(os.getpid())"], {"HILT_ENABLED": "1", "HILT_FILEPATH": str(log)})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    reply, pid = result.stdout.splitlines()
    events = read_lines(log)
    assert [e["action"] for e in events] == ["prompt", "completion"]
    assert {e["provenance"]["pid"] for e in events} == {int(pid)}
    assert events[0]["provenance"]["run_id"].startswith("run_") and len(events[0]["provenance"]["run_id"]) == 36


def test_launcher_logs_one_pair(venv, run, workdir: Path) -> None:
    """``hilt-agent --filepath F python app.py`` logs one pair; the program's output is unchanged."""
    log = workdir / "events.jsonl"
    result = run([venv.bin / "hilt-agent", "--filepath", log, "python", "app.py"], {"PATH": f"{venv.bin}:/usr/bin:/bin"})
    assert (result.returncode, result.stdout, result.stderr) == (0, REPLY, "")
    assert [e["action"] for e in read_lines(log)] == ["prompt", "completion"]


def test_explicit_instrument_without_agent(venv, run, workdir: Path) -> None:
    """``hilt.instrument(filepath=...)`` in the program works with the agent off."""
    log = workdir / "events.jsonl"
    code = f"import hilt; hilt.instrument(filepath={str(log)!r}); import app"
    result = run([venv.python, "-c", code])
    assert (result.returncode, result.stderr) == (0, "")
    assert [e["action"] for e in read_lines(log)] == ["prompt", "completion"]


LAYERS = """
import sys, wrapt, hilt, hilt_agent._gate, hilt._import_watch as h
hilt.instrument(filepath=sys.argv[1])          # explicit door on top of the agent
hilt_agent._gate.run()                          # a second start (what hilt.start does on 3.15+)
import hilt_agent._bootstrap; hilt_agent._bootstrap.start()   # even a forced second bootstrap
import app
from openai.resources.chat.completions import Completions  # the defining module moved in 1.x
create = Completions.__dict__["create"]
print(type(create).__name__, isinstance(create.__wrapped__, wrapt.FunctionWrapper))
print(sum(isinstance(f, h.WatchingFinder) for f in sys.meta_path))
"""


def test_every_door_at_once_gives_one_layer_and_one_pair(venv, run, workdir: Path) -> None:
    """.pth + hilt-agent + sitecustomize fallback + instrument(): one finder, one wrapper layer, one event pair."""
    log = workdir / "events.jsonl"
    result = run(
        [venv.bin / "hilt-agent", "--sitecustomize", "--filepath", workdir / "agent.jsonl", venv.python, "-c", LAYERS, log]
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == ["FunctionWrapper False", "1"]
    assert [e["action"] for e in read_lines(log)] == ["prompt", "completion"]
    assert not (workdir / "agent.jsonl").exists()  # instrument()'s arguments beat the agent's settings


def test_disabled_agent_logs_nothing(venv, run, workdir: Path) -> None:
    """HILT_ENABLED=0 (or unset, or empty) leaves the program alone."""
    for value in ("0", "", "off"):
        result = run([venv.python, "app.py"], {"HILT_ENABLED": value, "HILT_FILEPATH": str(workdir / "e.jsonl")})
        assert (result.returncode, result.stdout, result.stderr) == (0, REPLY, "")
    assert not (workdir / "e.jsonl").exists()


def test_python_dash_m_and_console_scripts(venv, run, workdir: Path) -> None:
    """``hilt-agent python -m pkg`` works and runs the module as __main__."""
    (workdir / "pkg").mkdir()
    (workdir / "pkg" / "__init__.py").write_text("")
    (workdir / "pkg" / "__main__.py").write_text("import app\n")
    log = workdir / "events.jsonl"
    result = run([venv.bin / "hilt-agent", "--filepath", log, venv.python, "-m", "pkg"])
    assert (result.returncode, result.stdout, result.stderr) == (0, REPLY, "")
    assert len(read_lines(log)) == 2
