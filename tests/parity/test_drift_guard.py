"""Drift guard: every SDK method that returns model output is either patched by HILT or skipped with a reason.

"Returns model output" is read from the method's return annotation: a pydantic model with a ``usage``
field (``ChatCompletion``, ``Response``, ``CreateEmbeddingResponse``, ...) or a stream manager. An SDK
upgrade that adds such a method fails this test until the method is added to ``TARGETS`` or to
``NOT_COVERED`` with a reason, so coverage cannot be lost silently.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import typing
from collections.abc import Iterator
from typing import Any

import openai.resources
import pydantic
import pytest

from hilt.instrumentation._targets import NOT_COVERED, TARGETS


def _types_in(annotation: Any, depth: int = 0) -> Iterator[type]:
    if depth > 8:
        return
    if isinstance(annotation, type):
        yield annotation
    origin = typing.get_origin(annotation)
    if isinstance(origin, type):
        yield origin
    for arg in typing.get_args(annotation):
        yield from _types_in(arg, depth + 1)


def _returns_model_output(function: Any) -> bool:
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # an annotation the running Python cannot evaluate: judge by its text
        text = str(getattr(function, "__annotations__", {}).get("return", ""))
        return "StreamManager" in text
    for kind in _types_in(hints.get("return")):
        if issubclass(kind, pydantic.BaseModel) and "usage" in getattr(kind, "model_fields", {}):
            return True
        if kind.__name__.endswith("StreamManager"):
            return True
    return False


def resource_path(module: str) -> str:
    """``openai.resources.chat.completions.completions`` -> ``chat.completions`` (layout-neutral)."""
    parts = module.removeprefix("openai.resources.").split(".")
    if len(parts) > 1 and parts[-1] == parts[-2]:
        parts.pop()
    return ".".join(parts)


@functools.cache
def model_output_methods() -> dict[str, tuple[str, type, str]]:
    """``"path:Class.method"`` (Async twins share the key) -> (module, class, method) for the installed SDK."""
    from openai._resource import AsyncAPIResource, SyncAPIResource

    found: dict[str, tuple[str, type, str]] = {}
    for info in pkgutil.walk_packages(openai.resources.__path__, "openai.resources."):
        try:
            module = importlib.import_module(info.name)
        except Exception:  # optional extras (realtime websockets, numpy, ...)
            continue
        for cls in list(vars(module).values()):
            try:  # lazy proxies of optional extras raise when touched
                if not (isinstance(cls, type) and issubclass(cls, (SyncAPIResource, AsyncAPIResource))):
                    continue
            except Exception:
                continue
            if cls.__module__ != module.__name__:
                continue
            for name, member in list(vars(cls).items()):
                if name.startswith("_") or not callable(member) or not _returns_model_output(member):
                    continue
                key = f"{resource_path(module.__name__)}:{cls.__name__.removeprefix('Async')}.{name}"
                found[f"{key}|{cls.__name__}"] = (module.__name__, cls, name)
    return found


def _patched(module: str, cls: type, method: str) -> bool:
    return any(
        module in target.modules and target.class_name == cls.__name__ and target.method_name == method
        for target in TARGETS
    )


def test_every_model_output_method_is_covered_or_skipped():
    found = model_output_methods()
    assert len(found) > 10, "the walk found almost nothing: the SDK layout changed, fix this guard"
    unaccounted = sorted(
        key.split("|")[0] + f"  ({cls.__name__})"
        for key, (module, cls, method) in found.items()
        if not _patched(module, cls, method) and key.split("|")[0] not in NOT_COVERED
    )
    assert not unaccounted, (
        "SDK methods returning model output that HILT neither patches (TARGETS) nor skips with a reason "
        "(NOT_COVERED):\n  " + "\n  ".join(unaccounted)
    )


def test_core_methods_are_patched_not_skipped():
    """The methods issue 4 promises are in TARGETS, never in the skip table, whatever the SDK version."""
    found = {key.split("|")[0] for key in model_output_methods()}
    promised = {
        "chat.completions:Completions.create",
        "chat.completions:Completions.parse",
        "responses:Responses.create",
        "responses:Responses.parse",
        "responses:Responses.retrieve",
        "beta.responses:Responses.create",
        "completions:Completions.create",
        "embeddings:Embeddings.create",
    }
    for key in promised & found:
        assert key not in NOT_COVERED
    targets = {f"{resource_path(t.modules[0])}:{t.class_name.removeprefix('Async')}.{t.method_name}" for t in TARGETS}
    assert promised <= targets


def test_every_target_exists_in_this_sdk_or_is_version_gated():
    """A target row that names nothing in the installed SDK is fine only for surfaces newer than it."""
    from hilt.instrumentation._patching import find_class

    from tests._surfaces import HAS_BETA_RESPONSES, HAS_CHAT_PARSE, HAS_RESPONSES, HAS_RESPONSES_PARSE

    gated = [  # (module fragment, method, present in this SDK); the first match decides
        ("beta.chat", "parse", False),  # a separate class only in some 1.x releases
        ("beta.responses", "create", HAS_BETA_RESPONSES),
        ("beta.responses", "retrieve", HAS_BETA_RESPONSES),
        ("resources.responses", "create", HAS_RESPONSES),
        ("resources.responses", "retrieve", HAS_RESPONSES),
        ("resources.responses", "parse", HAS_RESPONSES_PARSE),
        ("chat.completions", "parse", HAS_CHAT_PARSE),
    ]
    for target in TARGETS:
        if find_class(target, True)[0] is not None:
            continue
        present = next((has for part, method, has in gated if part in target.modules[0] and method == target.method_name), True)
        if present:
            pytest.fail(f"target not found in openai {openai.__version__}: {target.attribute} in {target.modules[0]}")


def test_skip_table_is_well_formed():
    """Every entry is ``path:Class.method`` with a reason; entries for other SDK versions may be absent here."""
    for key, reason in NOT_COVERED.items():
        path, _, qualified = key.partition(":")
        assert path and qualified.count(".") == 1 and not qualified.startswith("Async"), key
        assert len(reason) > 20, key
