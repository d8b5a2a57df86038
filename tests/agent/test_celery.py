"""A Celery worker with the prefork pool under ``hilt-agent``: every task's call is logged by the pool child that
ran it, under the worker's run id, and nothing is lost when the worker shuts down.

The broker is kombu's ``filesystem://`` transport and the result backend ``file://``, both in the test's folder,
so no broker server is needed. Celery is heavy, so it has its own extra and tox env (``tox -e processes``);
without it the test skips.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from hilt.testing import read_lines

from tests.agent._calls import REPLY, assert_no_hilt_noise, calls

pytest.importorskip("celery", reason="celery is not installed (pip install hilt[processes]; tox -e processes)")

TASKS = """
from pathlib import Path

import openai
from celery import Celery

folder = Path(__file__).resolve().parent
(folder / "queue").mkdir(exist_ok=True)
(folder / "done").mkdir(exist_ok=True)
(folder / "results").mkdir(exist_ok=True)
app = Celery("tasks", broker="filesystem://", backend=f"file://{folder / 'results'}")
app.conf.broker_transport_options = {
    "data_folder_in": str(folder / "queue"),
    "data_folder_out": str(folder / "queue"),
    "store_processed": True,
    "processed_folder": str(folder / "done"),
    "polling_interval": 0.05,
}
app.conf.broker_connection_retry_on_startup = True
app.conf.worker_prefetch_multiplier = 1


@app.task
def ask(question):
    client = openai.OpenAI(max_retries=0)
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
    return reply.choices[0].message.content
"""

SEND = """
from tasks import ask

results = [ask.delay(f"question {i}") for i in range(6)]
print("\\n".join(result.get(timeout=20, interval=0.05) for result in results))
"""


def test_celery_prefork_children_log_every_task(venv, run, workdir: Path, server) -> None:
    """``hilt-agent python -m celery -A tasks worker --pool prefork -c 2``: six tasks give six prompt/reply pairs,
    each written by a pool child of the worker (not the worker itself), all under one run id, with no HILT
    message on stderr."""
    (workdir / "tasks.py").write_text(TASKS)
    (workdir / "send.py").write_text(SEND)
    log = workdir / "events.jsonl"
    argv = [venv.bin / "hilt-agent", "--filepath", log, venv.python, "-m", "celery", "-A", "tasks", "worker",
            "--pool", "prefork", "-c", "2", "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    env = {**os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "k"}
    worker = subprocess.Popen([str(a) for a in argv], cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sent = run([venv.python, "send.py"], timeout=30)
    finally:
        worker.send_signal(signal.SIGTERM)  # Celery's warm shutdown: finish the running tasks, stop the pool
        try:
            _, errors = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            raise
    assert (sent.returncode, sent.stdout, sent.stderr) == (0, f"{REPLY}\n" * 6, ""), (sent.stderr, errors)
    assert worker.returncode == 0, errors
    assert_no_hilt_noise(errors)
    found = calls(log)
    assert [(prompt, reply) for prompt, reply, _, _ in found] == [(f"question {i}", REPLY) for i in range(6)]
    children = {pid for _, _, pid, _ in found}
    assert worker.pid not in children and 1 <= len(children) <= 2
    assert {ppid for _, _, _, ppid in found} == {worker.pid}
    assert len({event["provenance"]["run_id"] for event in read_lines(log)}) == 1
