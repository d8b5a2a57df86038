"""Fixtures for the agent tests: session venvs with HILT installed (see ``tests/agent/_venvs.py``) and a runner."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from hilt.testing import FakeOpenAIServer

from tests.agent._venvs import APP, Venv, copy_project, make_venv, pip_install
from tests._folders import cwd, user_toml  # noqa: F401  (fixtures)


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("src") / "hilt-project")


@pytest.fixture(scope="session")
def venv(tmp_path_factory: pytest.TempPathFactory, project: Path) -> Venv:
    """HILT installed with ``pip install .``."""
    env = make_venv(tmp_path_factory.mktemp("venvs") / "wheel")
    pip_install(env, str(project))
    return env


@pytest.fixture(scope="session")
def editable_venv(tmp_path_factory: pytest.TempPathFactory, project: Path) -> Venv:
    """HILT installed with ``pip install -e .``."""
    env = make_venv(tmp_path_factory.mktemp("venvs") / "editable")
    pip_install(env, "-e", str(project))
    return env


@pytest.fixture(scope="session")
def bare_venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """No HILT at all (the benchmark's baseline, and ``pip install --target`` tests)."""
    return make_venv(tmp_path_factory.mktemp("venvs") / "bare")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The child's working folder, holding ``app.py`` (one chat call, prints the reply)."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "app.py").write_text(APP)
    return folder


@pytest.fixture
def run(server: FakeOpenAIServer, workdir: Path):
    """``run(argv, **env)``: run a child in ``workdir`` against the loopback server; returns CompletedProcess."""

    def runner(
        argv: list[str | os.PathLike[str]], env: Mapping[str, str] | None = None, *, cwd: Path | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        child_env = dict(os.environ)
        child_env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="test-key")
        child_env.update(env or {})
        child_env = {k: v for k, v in child_env.items() if v is not None}
        return subprocess.run(
            [str(a) for a in argv], cwd=cwd or workdir, env=child_env, capture_output=True, text=True, timeout=timeout
        )

    return runner
