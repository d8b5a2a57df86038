"""Build HILT logs from real instrumented calls for the data-subject tests: users, conversations, rotation."""

from __future__ import annotations

import gzip
import os
import shutil
import time
from pathlib import Path
from typing import Any

import openai
import pytest

import hilt
from hilt.writers.jsonl import JsonlWriter

__all__ = ["call", "rotate", "three_generations"]


def call(client: Any, user: str | None, conversation: str, text: str, *, fail: bool = False) -> None:
    """One chat call made for ``user`` in ``conversation``; with ``fail`` the server answers 500."""
    with hilt.conversation(id=conversation, user=user):
        if fail:
            with pytest.raises(openai.InternalServerError):
                client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": text}], extra_headers={"x-fake-status": "500"}
                )
        else:
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])


def rotate(log: Path, to: str, *, compress: bool = False) -> None:
    """Move ``log`` to ``log<to>`` (gzipped when ``compress``), as logrotate does, and let the writer notice."""
    target = log.with_name(log.name + to)
    if compress:
        with open(log, "rb") as source, gzip.open(target, "wb") as sink:
            shutil.copyfileobj(source, sink)
        os.chmod(target, 0o600)
        os.unlink(log)
    else:
        os.rename(log, target)
    time.sleep(2 * JsonlWriter.path_check_interval)


def three_generations(client: Any, log: Path) -> None:
    """``log.2.gz``, ``log.1`` and ``log``, each with one call of alice (the middle one failed) and one of bob."""
    call(client, "alice", "conv_alice_1", "alice secret 1")
    call(client, "bob", "conv_bob_1", "bob question 1")
    rotate(log, ".2.gz", compress=True)
    call(client, "alice", "conv_alice_2", "alice secret 2", fail=True)
    call(client, "bob", "conv_bob_2", "bob question 2")
    rotate(log, ".1")
    call(client, "alice", "conv_alice_3", "alice secret 3")
    call(client, "bob", "conv_bob_1", "bob question 3")
