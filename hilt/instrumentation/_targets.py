"""What HILT patches: one row per SDK method, with the extractor that understands it.

``module`` is the module that defines the class (the import hook watches it; the SDK imports its
resource modules lazily). Rows whose module or class does not exist in the installed SDK are skipped
and listed by ``hilt-agent --info``. :data:`NOT_COVERED` lists, with a reason, the SDK methods that
return model output and that HILT deliberately leaves alone (the drift guard test reads both tables).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NOT_COVERED", "OPENAI_REQUIREMENT", "PatchTarget", "TARGETS"]

OPENAI_REQUIREMENT = (1, 26, 0)
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
_RESPONSES = ("openai.resources.responses.responses", "openai.resources.responses")
_BETA_RESPONSES = ("openai.resources.beta.responses.responses",)
_LEGACY = ("openai.resources.completions",)
_EMBEDDINGS = ("openai.resources.embeddings",)


def _pair(modules: tuple[str, ...], method: str, endpoint: str, extractor: str, cls: str) -> tuple[PatchTarget, ...]:
    return (
        PatchTarget(modules, f"{cls}.{method}", endpoint, extractor),
        PatchTarget(modules, f"Async{cls}.{method}", endpoint, extractor, is_async=True),
    )


TARGETS: tuple[PatchTarget, ...] = (
    *_pair(_CHAT, "create", "chat.completions.create", "chat", "Completions"),
    *_pair(_CHAT, "parse", "chat.completions.parse", "chat", "Completions"),
    *_pair(_BETA_CHAT, "parse", "beta.chat.completions.parse", "chat", "Completions"),
    *_pair(_RESPONSES, "create", "responses.create", "responses", "Responses"),
    *_pair(_RESPONSES, "parse", "responses.parse", "responses", "Responses"),
    # Only ``retrieve(stream=True)`` is recorded (the ``.stream(response_id=...)`` resume path).
    *_pair(_RESPONSES, "retrieve", "responses.retrieve", "responses_resume", "Responses"),
    *_pair(_BETA_RESPONSES, "create", "beta.responses.create", "responses", "Responses"),
    *_pair(_BETA_RESPONSES, "retrieve", "beta.responses.retrieve", "responses_resume", "Responses"),
    *_pair(_LEGACY, "create", "completions.create", "completions", "Completions"),
    *_pair(_EMBEDDINGS, "create", "embeddings.create", "embeddings", "Embeddings"),
    # Calls made on the client itself (litellm's client.post): recorded by path, see ``_lowlevel``.
    PatchTarget(("openai._base_client",), "SyncAPIClient.request", "client.request", "lowlevel"),
    PatchTarget(("openai._base_client",), "AsyncAPIClient.request", "client.request", "lowlevel", is_async=True),
)

_JOBS = "job control or stored objects: returns a stored object, not the output of a model call made here"
_MEDIA = "audio/image payloads, not text generation: out of scope for now"
_HELPER = "helper that reaches a covered method (create / retrieve(stream=True)), which records the call"
_ASSISTANTS = "Assistants API (deprecated by OpenAI): run output lives in thread messages, fetched separately"
_AGENTS = "hosted agent sessions (beta): the model calls run server-side, not through this process's requests"
_NEW = "a model call with usage that HILT does not record yet (tracked for a later release)"


def _skip(reason: str, *keys: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for key in keys:
        where, methods = key.rsplit(".", 1)
        for method in methods.split("|"):
            table[f"{where}.{method}"] = reason
    return table


NOT_COVERED: dict[str, str] = {
    **_skip(
        _HELPER,
        "responses:Responses.stream",
        "chat.completions:Completions.stream",
        "beta.chat.completions:Completions.stream",  # openai 1.x before ~1.92
    ),
    **_skip(_JOBS, "responses:Responses.cancel", "beta.responses:Responses.cancel"),
    **_skip(_NEW, "responses:Responses.compact", "beta.responses:Responses.compact", "decisions:Decisions.create"),
    **_skip(_JOBS, "chat.completions:Completions.retrieve|update|list", "batches:Batches.create|retrieve|cancel|list"),
    **_skip(_MEDIA, "audio.transcriptions:Transcriptions.create", "images:Images.generate|edit|create_variation"),
    **_skip(
        _ASSISTANTS,
        "beta.threads.runs:Runs.create|create_and_poll|create_and_stream|stream|poll|retrieve|update|list|cancel"
        "|submit_tool_outputs|submit_tool_outputs_and_poll|submit_tool_outputs_stream",
        "beta.threads.runs.steps:Steps.retrieve|list",
        "beta.threads:Threads.create_and_run|create_and_run_poll|create_and_run_stream",
    ),
    **_skip(
        _AGENTS,
        "beta.agents.sessions:Sessions.create|retrieve|update|list",
        "beta.agents.sessions.events:Events.stream",
        "beta.agents.sessions.turns:Turns.retrieve|list",
        "beta.agents.sessions.subagents.turns:Turns.retrieve|list",
    ),
}
"""SDK methods whose result carries model output (a ``usage`` field or a stream manager) that HILT does
not wrap, keyed ``"<resource path>:<Class>.<method>"`` (``Async`` twins share the key), with the reason.
The resource path is the module under ``openai.resources`` with a repeated last part dropped
(``chat.completions.completions`` -> ``chat.completions``). ``responses.retrieve`` is wrapped but records
only ``stream=True`` (the resume path); a plain retrieve re-reads a stored response and is not a call.
"""
