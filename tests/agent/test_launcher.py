"""``hilt-agent``: command resolution, argv and environment, the sitecustomize fallback, ``--info``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hilt.testing import read_lines

from tests.agent._venvs import pip_install

REPLY = "Hello! How can I help you today?\n"


def test_command_not_found_exits_127(venv, run) -> None:
    """An unknown command: status 127 and a message naming it."""
    result = run([venv.bin / "hilt-agent", "no-such-command-xyz"])
    assert (result.returncode, result.stdout, result.stderr) == (127, "", "hilt-agent: no-such-command-xyz: command not found\n")


def test_script_not_executable_suggests_python(venv, run, workdir: Path) -> None:
    """``hilt-agent ./app.py`` where app.py is not executable: status 126, suggesting ``hilt-agent python``."""
    result = run([venv.bin / "hilt-agent", "./app.py", "--x"])
    assert (result.returncode, result.stderr) == (
        126,
        "hilt-agent: ./app.py: permission denied: not executable (did you mean: hilt-agent python ./app.py --x)\n",
    )


def test_bare_name_of_a_local_file_is_not_found_with_a_hint(venv, run, workdir: Path) -> None:
    """``hilt-agent app.py`` never runs ./app.py (a bare name is looked up on PATH): status 127 and a hint."""
    result = run([venv.bin / "hilt-agent", "app.py", "--x"])
    assert (result.returncode, result.stderr) == (
        127,
        "hilt-agent: app.py: command not found (not on PATH; to run the file in this folder: hilt-agent python app.py --x)\n",
    )


def test_bare_command_never_runs_a_file_of_the_current_folder(venv, run, workdir: Path) -> None:
    """An executable ``./python`` in the current folder is ignored: ``hilt-agent python`` runs the one on PATH."""
    fake = workdir / "python"
    fake.write_text(f"#!/bin/sh\necho planted > {workdir / 'marker'}\n")
    fake.chmod(0o755)
    path = f"{venv.bin}{os.pathsep}{os.environ['PATH']}"
    result = run([venv.bin / "hilt-agent", "python", "-c", "import sys; print(sys.prefix)"], {"PATH": path})
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{venv.root}\n", "")
    assert not (workdir / "marker").exists()
    local = run([venv.bin / "hilt-agent", "./python"], {"PATH": path})  # a path with a slash still runs the file
    assert (local.returncode, (workdir / "marker").read_text()) == (0, "planted\n")


def test_argv_unchanged_and_cwd_not_on_pythonpath(venv, run) -> None:
    """Arguments reach the program untouched; PYTHONPATH stays unset when hilt.pth is installed."""
    code = "import os, sys; print(sys.argv[1:], os.environ.get('PYTHONPATH'), os.environ['HILT_ENABLED'], os.environ['HILT_CAPTURE_CONTENT'])"
    result = run([venv.bin / "hilt-agent", "--no-capture-content", venv.python, "-c", code, "a b", "--backend", "-x"])
    assert (result.returncode, result.stdout) == (0, "['a b', '--backend', '-x'] None 1 metadata\n")


def test_bad_flag_value_exits_2(venv, run) -> None:
    """A flag value of the wrong type is refused before anything runs."""
    result = run([venv.bin / "hilt-agent", "--flush-interval", "soon", "true"])
    assert (result.returncode, result.stderr) == (2, "hilt-agent: error: --flush-interval: flush_interval: expected a number of seconds, got 'soon'\n")


def test_sitecustomize_fallback_chains_to_the_users(venv, run, workdir: Path) -> None:
    """With --sitecustomize a project sitecustomize.py on PYTHONPATH still runs, and HILT logs."""
    project = workdir / "site"
    project.mkdir()
    (project / "sitecustomize.py").write_text("import os\nos.environ['USER_SITECUSTOMIZE'] = 'ran'\n")
    log = workdir / "events.jsonl"
    code = "import os, sitecustomize; print(os.environ.get('USER_SITECUSTOMIZE'), sitecustomize.__file__); import app"
    result = run(
        [venv.bin / "hilt-agent", "--sitecustomize", "--filepath", log, venv.python, "-c", code], {"PYTHONPATH": str(project)}
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"ran {project / 'sitecustomize.py'}\n" + REPLY
    assert len(read_lines(log)) == 2


def test_pip_install_target_uses_the_fallback_automatically(bare_venv, run, workdir: Path, project: Path, tmp_path: Path) -> None:
    """Installed with ``pip install --target`` (no .pth processed), hilt-agent falls back to its sitecustomize."""
    target = tmp_path / "target"
    pip_install(bare_venv, "--target", str(target), str(project))
    log = workdir / "events.jsonl"
    env = {"PYTHONPATH": str(target)}
    result = run([bare_venv.python, "-m", "hilt_agent.launcher", "--filepath", log, bare_venv.python, "app.py"], env)
    assert (result.returncode, result.stdout, result.stderr) == (0, REPLY, "")
    assert len(read_lines(log)) == 2


def test_info_shows_every_source(venv, run, workdir: Path) -> None:
    """--info lists each value with its source: default, TOML file, env and flag, plus versions and targets."""
    (workdir / "hilt.toml").write_text("capture_content = false\n")
    result = run([venv.bin / "hilt-agent", "--info", "--backend", "local"], {"HILT_FILEPATH": "env.jsonl"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    toml = str(workdir / "hilt.toml")
    assert [line.split() for line in lines if line.startswith(("  backend ", "  filepath ", "  capture_content ", "  debug "))] == [
        ["backend", "('local',)", "flag"],
        ["filepath", "'env.jsonl'", "env", "HILT_FILEPATH"],
        ["capture_content", "'metadata'", toml],
        ["debug", "False", "default"],
    ]
    assert f"  project      {toml}  read (only keys an untrusted file may set: trust not needed)" in lines
    assert "start-up file hilt.pth installed: yes" in lines
    from openai.resources.chat.completions import Completions

    assert f"  ok       chat.completions.create (sync)            {Completions.__module__}.Completions.create" in lines
    version = subprocess.run([venv.python, "-c", "import openai; print(openai.__version__)"], capture_output=True, text=True).stdout.strip()
    assert f"openai {version}" in lines and lines[0].startswith("HILT ")
    assert os.path.basename(lines[1].split("(")[1].rstrip(")")) == "python"
