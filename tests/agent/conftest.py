"""Fresh virtual environments with HILT installed (``pip install .`` and ``pip install -e .``), and a runner.

Each venv reuses the test interpreter's packages through a path entry (``_parent.pth``) and installs
HILT with ``--no-deps --no-build-isolation``, so nothing is downloaded. HILT is installed from a copy
of the project, so concurrent edits of the work tree cannot change it under a running test session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from hilt.testing import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[2]

APP = '''\
import os, sys
import openai

client = openai.OpenAI(max_retries=0)
reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)
'''


@dataclass(frozen=True)
class Venv:
    """A virtual environment made by the tests."""

    root: Path

    @property
    def bin(self) -> Path:
        return self.root / ("Scripts" if os.name == "nt" else "bin")

    @property
    def python(self) -> Path:
        return self.bin / "python"

    @property
    def site_packages(self) -> Path:
        return Path(
            subprocess.run(
                [self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )


def make_venv(root: Path) -> Venv:
    """A venv that sees the test interpreter's site-packages but not HILT."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    venv = Venv(root)
    (venv.site_packages / "_parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def copy_project(target: Path) -> Path:
    """The files a build needs (a stub README when the tree has none yet)."""
    target.mkdir(parents=True)
    for name in ("hilt", "hilt_agent", "bootstrap"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", target)
    readme = ROOT / "README.md"
    (target / "README.md").write_text(readme.read_text() if readme.exists() else "# hilt\n")
    return target


def pip_install(venv: Venv, *args: str) -> None:
    subprocess.run(
        [venv.python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index", *args],
        check=True,
        capture_output=True,
    )


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
