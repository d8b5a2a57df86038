"""Fresh virtual environments with HILT installed (``pip install .`` and ``pip install -e .``).

Each venv reuses the running interpreter's packages through a path entry (``_parent.pth``) and installs
HILT with ``--no-deps --no-build-isolation``, so nothing is downloaded. HILT is installed from a copy
of the project, so concurrent edits of the work tree cannot change it under a running test session.
Used by the agent tests' fixtures and by ``python -m benchmarks.startup``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

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
