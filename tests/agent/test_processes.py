"""Child processes inherit the agent (subprocess, multiprocessing fork/spawn/forkserver, uvicorn workers, gunicorn
with and without --preload) and share a run id. Celery and Jupyter kernels: test_celery.py, test_jupyter.py."""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from hilt.testing import read_lines, wait_for

from tests.agent._calls import REPLY, assert_no_hilt_noise, calls

PARENT = """
import subprocess, sys
import app
subprocess.run([sys.executable, "app.py"], check=True)
"""

MULTI = """
import multiprocessing as mp, sys

def work():
    import app

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    procs = [ctx.Process(target=work) for _ in range(2)]
    [p.start() for p in procs]
    [p.join(30) for p in procs]
    sys.exit(max(p.exitcode for p in procs))
"""

FORK_AFTER_CALL = """
import os, sys
import app                      # an instrumented call in the parent (gunicorn --preload style)
pid = os.fork()
if pid == 0:
    import importlib; importlib.reload(app)   # the child calls too
    sys.exit(0)
os.waitpid(pid, 0)
"""


def pids_and_runs(log: Path) -> tuple[list[int], set[str]]:
    events = read_lines(log)
    return [e["provenance"]["pid"] for e in events], {e["provenance"]["run_id"] for e in events}


def run_logged(
    venv, run, workdir: Path, args: list[str], env: dict[str, str] | None = None, timeout: float = 60
) -> tuple[list[int], set[str]]:
    """Run ``python ARGS`` in ``workdir`` with HILT_ENABLED=1 (it must succeed); the pids and run ids of its log."""
    log = workdir / "events.jsonl"
    result = run([venv.python, *args], {"HILT_ENABLED": "1", "HILT_FILEPATH": str(log), **(env or {})}, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return pids_and_runs(log)


@pytest.mark.parametrize(
    "args",
    [["-c", PARENT], ["multi.py", "fork"], ["multi.py", "spawn"], ["multi.py", "forkserver"]],
    ids=["subprocess", "multiprocessing-fork", "multiprocessing-spawn", "multiprocessing-forkserver"],
)
def test_children_log_under_the_parent_run_id(venv, run, workdir: Path, args: list[str]) -> None:
    """A ``subprocess.run([sys.executable, ...])`` child and multiprocessing workers (fork, spawn and forkserver)
    log one whole pair each, with their own pid and the parent's run id."""
    (workdir / "multi.py").write_text(MULTI)
    pids, runs = run_logged(venv, run, workdir, args)
    assert len(pids) == 4 and len(set(pids)) == 2 and len(runs) == 1
    assert [(prompt, reply) for prompt, reply, _, _ in calls(workdir / "events.jsonl")] == [("hi", REPLY)] * 2


def test_propagate_off_keeps_children_uninstrumented(venv, run, workdir: Path) -> None:
    """HILT_PROPAGATE=0: only the parent logs."""
    pids, _ = run_logged(venv, run, workdir, ["-c", PARENT], {"HILT_PROPAGATE": "0"})
    assert len(pids) == 2 and len(set(pids)) == 1


def test_fork_after_a_call_logs_and_exits(venv, run, workdir: Path) -> None:
    """os.fork() after an instrumented call: parent and child each log one pair; nothing hangs."""
    pids, runs = run_logged(venv, run, workdir, ["-c", FORK_AFTER_CALL], timeout=30)
    assert len(pids) == 4 and len(set(pids)) == 2 and len(runs) == 1
    assert read_lines(workdir / "events.jsonl")[2]["provenance"]["ppid"] == pids[0]


ASGI = """
import openai

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    client = openai.AsyncOpenAI(max_retries=0)
    reply = await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": reply.choices[0].message.content.encode()})
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_and_fetch(
    argv: list, workdir: Path, server, port: int, requests: int, ready: Callable[[], object] | None = None
) -> tuple[int, list[str], str, float]:
    """Start a web server under hilt-agent, GET / ``requests`` times, wait for ``ready()`` (if given), stop it:
    (pid, bodies, output, stop seconds)."""
    import os
    import subprocess

    env = {**os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "k"}
    proc = subprocess.Popen([str(a) for a in argv], cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    bodies: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while len(bodies) < requests and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    bodies.append(response.read().decode())
            except OSError:
                time.sleep(0.2)
        if ready is not None:
            wait_for(ready, timeout=max(deadline - time.monotonic(), 0.1))
    finally:
        proc.terminate()
        started = time.monotonic()
        output = proc.communicate(timeout=30)[0].decode()
    return proc.pid, bodies, output, time.monotonic() - started


def test_uvicorn_workers_are_instrumented(venv, workdir: Path, server) -> None:
    """``hilt-agent python -m uvicorn asgi:app --workers 2``: workers (spawned) log under the master's run id."""
    pytest.importorskip("uvicorn", reason="uvicorn is not installed in the test environment")
    (workdir / "asgi.py").write_text(ASGI)
    log = workdir / "events.jsonl"
    port = free_port()
    argv = [venv.bin / "hilt-agent", "--filepath", log, venv.python, "-m", "uvicorn", "asgi:app", "--workers", "2", "--port", str(port)]
    pid, bodies, output, _ = serve_and_fetch(argv, workdir, server, port, 4)
    assert bodies == ["Hello! How can I help you today?"] * 4, output
    pids, runs = pids_and_runs(log)
    assert len(pids) == 8 and pid not in pids and len(runs) == 1


WSGI = """
import openai

client = openai.OpenAI(max_retries=0)
# gunicorn --preload imports this in the master: one instrumented call before the workers are forked
# (without --preload each worker imports it: one call per worker)
client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "warm up"}])


def app(environ, start_response):
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [reply.choices[0].message.content.encode()]
"""


def test_gunicorn_preload_workers_log_after_fork(venv, workdir: Path, server) -> None:
    """``hilt-agent gunicorn --preload -w 2``: the master's call and the forked workers' calls all land in
    the log, under one run id, and the server stops promptly (nothing hangs at fork or exit)."""
    pytest.importorskip("gunicorn", reason="gunicorn is not installed in the test environment")
    (workdir / "wsgi.py").write_text(WSGI)
    log = workdir / "events.jsonl"
    port = free_port()
    argv = [venv.bin / "hilt-agent", "--filepath", log, venv.python, "-m", "gunicorn", "--preload", "-w", "2",
            "-b", f"127.0.0.1:{port}", "wsgi:app"]
    pid, bodies, output, stop_seconds = serve_and_fetch(argv, workdir, server, port, 6)
    assert bodies == ["Hello! How can I help you today?"] * 6, output
    assert stop_seconds < 10, output
    events = read_lines(log)
    pids, runs = pids_and_runs(log)
    assert len(events) == 14 and len(runs) == 1  # 1 preload call + 6 requests, a pair each
    assert [e["content"]["text"] for e in events[:1]] == ["warm up"] and pids[0] == pid
    worker_pids = set(pids[2:])
    assert pid not in worker_pids and 1 <= len(worker_pids) <= 2
    for event in events[2:]:
        assert event["provenance"]["ppid"] == pid


def test_gunicorn_workers_without_preload_log(venv, workdir: Path, server) -> None:
    """``hilt-agent gunicorn -w 2`` (no ``--preload``): each worker, forked from a master that started HILT but
    never imported the app, logs its own import-time call and the requests it served, every call once, all
    under the master's run id, and the server stops promptly."""
    pytest.importorskip("gunicorn", reason="gunicorn is not installed in the test environment")
    (workdir / "wsgi.py").write_text(WSGI)
    log = workdir / "events.jsonl"
    port = free_port()
    argv = [venv.bin / "hilt-agent", "--filepath", log, venv.python, "-m", "gunicorn", "-w", "2",
            "-b", f"127.0.0.1:{port}", "wsgi:app"]

    def both_workers_booted() -> bool:  # each imported wsgi.py and its call finished (a worker may get no request)
        events = read_lines(log)
        warm_ups = {e["event_id"] for e in events if e["action"] == "prompt" and e["content"]["text"] == "warm up"}
        return sum(e["action"] == "completion" and e["extensions"]["reply_to"] in warm_ups for e in events) == 2

    pid, bodies, output, stop_seconds = serve_and_fetch(argv, workdir, server, port, 6, ready=both_workers_booted)
    assert bodies == [REPLY] * 6, output
    assert stop_seconds < 10, output
    assert_no_hilt_noise(output)
    found = calls(log)
    assert [(prompt, reply) for prompt, reply, _, _ in found] == [("hi", REPLY)] * 6 + [("warm up", REPLY)] * 2
    workers = {process for prompt, _, process, _ in found if prompt == "warm up"}
    assert len(workers) == 2 and pid not in workers
    assert {process for _, _, process, _ in found} == workers and {ppid for _, _, _, ppid in found} == {pid}
    assert len({event["provenance"]["run_id"] for event in read_lines(log)}) == 1
