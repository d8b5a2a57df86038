"""HILT in a real Jupyter kernel (ipykernel, driven by jupyter_client as a notebook front end drives it).

Two ways in: ``hilt.instrument(...)`` in the first cell, or ``HILT_ENABLED=1`` in the environment of the front
end that starts the kernels (``HILT_ENABLED=1 jupyter lab``; here the driver plays the front end). Each test runs
sync, ``await``-ed async and streamed calls in cells, restarts the kernel, makes one more call, and shuts the
kernel down. ipykernel and jupyter_client are heavy, so they have their own extra and tox env
(``tox -e processes``); without them the tests skip.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hilt.testing import read_lines

from tests.agent._calls import REPLY, assert_no_hilt_noise, calls

pytest.importorskip("ipykernel", reason="ipykernel is not installed (pip install hilt[processes]; tox -e processes)")
pytest.importorskip("jupyter_client", reason="jupyter_client is not installed (pip install hilt[processes]; tox -e processes)")

DRIVER = Path(__file__).with_name("_jupyter_driver.py")


CALL_CELLS = [
    "import os, openai\n"
    "client = openai.OpenAI(max_retries=0)\n"
    "def user(text): return [{'role': 'user', 'content': text}]\n"
    "os.getpid()",
    'client.chat.completions.create(model="gpt-4o-mini", messages=user("sync cell")).choices[0].message.content',
    '(await openai.AsyncOpenAI(max_retries=0).chat.completions.create(model="gpt-4o-mini", messages=user("async cell")))'
    ".choices[0].message.content",
    'stream = client.chat.completions.create(model="gpt-4o-mini", messages=user("stream cell"), stream=True)\n'
    '"".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)',
]
AFTER_RESTART = [
    "import os, openai\n"
    'reply = openai.OpenAI(max_retries=0).chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "after restart"}])\n'
    "reply.choices[0].message.content, os.getpid()"
]


def run_notebook(venv, tmp_path: Path, workdir: Path, server, env: dict[str, str], first: list[str]) -> dict[str, Any]:
    """Run the cells ``first + CALL_CELLS`` in a kernel started by a front end with ``env``, restart it, run
    ``AFTER_RESTART``, shut it down; what the driver printed (the kernel's stderr, inherited by the driver, must
    hold nothing from HILT)."""
    spec = tmp_path / "kernels" / "hilt-test"
    spec.mkdir(parents=True)
    argv = [str(venv.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "HILT test", "language": "python"}))
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"cwd": str(workdir), "before": first + CALL_CELLS, "after": AFTER_RESTART}))
    jupyter = {"JUPYTER_PLATFORM_DIRS": "1", "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "IPYTHONDIR": str(tmp_path / "ipython")}
    front_end = {**os.environ, **jupyter, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "k", **env}
    driven = subprocess.run(
        [venv.python, DRIVER, spec.parent, plan], cwd=tmp_path, env=front_end, capture_output=True, text=True, timeout=60
    )
    assert driven.returncode == 0, driven.stderr
    assert_no_hilt_noise(driven.stderr)
    return json.loads(driven.stdout)


def test_instrument_in_the_first_cell_logs_until_the_kernel_restarts(venv, tmp_path: Path, workdir: Path, server) -> None:
    """``hilt.instrument(filepath=...)`` in the first cell: the sync, async and streamed calls of later cells are
    logged by the kernel process, all on disk after the kernel shut down; a restarted kernel logs nothing."""
    log = workdir / "notebook.jsonl"
    result = run_notebook(venv, tmp_path, workdir, server, {}, [f"import hilt\nhilt.instrument(filepath={str(log)!r})"])
    (status, [(kind, shown)]), *rest = result["before"]  # the cell shows instrument()'s value, secrets masked
    pid = int(rest[0][1][0][1])
    assert (status, kind) == ("ok", "result")
    assert shown.startswith(f"Instrumentation(settings=Settings(backend=('local',), filepath={str(log)!r}")
    assert rest == [["ok", [["result", str(pid)]]]] + [["ok", [["result", repr(REPLY)]]]] * 3
    assert result["after"][0][0] == "ok" and result["after"][0][1][0][1].startswith(f"({REPLY!r}, ")
    assert [(prompt, reply, process) for prompt, reply, process, _ in calls(log)] == [
        ("async cell", REPLY, pid), ("stream cell", REPLY, pid), ("sync cell", REPLY, pid)
    ]
    assert result["run_id"] is None and len({event["provenance"]["run_id"] for event in read_lines(log)}) == 1


def test_hilt_enabled_in_the_front_end_logs_every_kernel(venv, tmp_path: Path, workdir: Path, server) -> None:
    """``HILT_ENABLED=1`` where the front end starts: no code in the notebook, every call is logged, the restarted
    kernel's too (its own pid), all under the front end's run id and on disk after the kernel shut down."""
    log = workdir / "notebook.jsonl"
    result = run_notebook(venv, tmp_path, workdir, server, {"HILT_ENABLED": "1", "HILT_FILEPATH": str(log)}, [])
    pid = int(result["before"][0][1][0][1])
    assert result["before"] == [["ok", [["result", str(pid)]]]] + [["ok", [["result", repr(REPLY)]]]] * 3
    restarted = int(result["after"][0][1][0][1].rsplit(", ", 1)[1].rstrip(")"))
    assert result["after"] == [["ok", [["result", f"({REPLY!r}, {restarted})"]]]] and restarted != pid
    assert [(prompt, reply, process) for prompt, reply, process, _ in calls(log)] == [
        ("after restart", REPLY, restarted), ("async cell", REPLY, pid), ("stream cell", REPLY, pid), ("sync cell", REPLY, pid)
    ]
    assert result["run_id"] and {event["provenance"]["run_id"] for event in read_lines(log)} == {result["run_id"]}
