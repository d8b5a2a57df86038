"""What HILT patches: one row per SDK method, with the extractor that understands it.

``module`` is the module that defines the class (the import hook watches it; the SDK imports its
resource modules lazily). Rows whose module or class does not exist in the installed SDK are skipped
and listed by ``hilt-agent --info``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OPENAI_REQUIREMENT", "PatchTarget", "TARGETS"]

OPENAI_REQUIREMENT = (1, 0, 0)
"""The oldest ``openai`` release HILT supports."""


@dataclass(frozen=True)
class PatchTarget:
    """One method to wrap."""

    modules: tuple[str, ...]
    """Candidate modules defining the class, newest SDK layout first."""
    attribute: str
    """``"Class.method"``."""
    endpoint: str
    """The user-facing call, written to ``provenance.endpoint``."""
    extractor: str
    """Key of the extractor in :mod:`hilt.providers.openai`."""
    is_async: bool = False

    @property
    def class_name(self) -> str:
        return self.attribute.split(".", 1)[0]

    @property
    def method_name(self) -> str:
        return self.attribute.split(".", 1)[1]


_CHAT = ("openai.resources.chat.completions.completions", "openai.resources.chat.completions")
_BETA_CHAT = ("openai.resources.beta.chat.completions",)


def _pair(modules: tuple[str, ...], method: str, endpoint: str, extractor: str, cls: str) -> tuple[PatchTarget, ...]:
    return (
        PatchTarget(modules, f"{cls}.{method}", endpoint, extractor),
        PatchTarget(modules, f"Async{cls}.{method}", endpoint, extractor, is_async=True),
    )


TARGETS: tuple[PatchTarget, ...] = (
    *_pair(_CHAT, "create", "chat.completions.create", "chat", "Completions"),
    *_pair(_CHAT, "parse", "chat.completions.parse", "chat", "Completions"),
    *_pair(_BETA_CHAT, "parse", "beta.chat.completions.parse", "chat", "Completions"),
)
