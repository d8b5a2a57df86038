"""Fixtures for the framework tests (``tox -e frameworks`` installs the frameworks)."""

from __future__ import annotations

import os

# litellm downloads its price table at import unless told to use the copy it ships with (no network here)
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
