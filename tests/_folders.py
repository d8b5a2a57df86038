"""Fixtures for configuration tests: a project folder as the working directory, and the user's own hilt.toml."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder, the working directory for the test (a space in its name, as checkouts may have)."""
    folder = tmp_path / "cloned repo"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def user_toml() -> Path:
    """Where the user's own hilt.toml goes (under the test's XDG_CONFIG_HOME); its folder exists, the file not yet."""
    path = Path(platformdirs.user_config_dir("hilt", appauthor=False)) / "hilt.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
