"""Responses API ``input`` histories in the shape chat threading understands.

An application (or LangChain's ``use_responses_api``, openai-agents' ``to_input_list()``, pydantic-ai)
that resends the whole conversation as ``input`` sends back the items of earlier responses: messages,
function calls and their outputs, reasoning items. Threading (:mod:`hilt._conversations`) matches chat
message histories, so each item becomes a chat-like message:

* a run of consecutive model-output items (assistant messages, tool calls, reasoning) is one assistant
  message: its text (the ``output_text`` parts joined), its tool calls as ``(call_id, name, arguments)``;
  the same function turns a response's ``output`` into the answer, so a resent answer matches;
* a tool output (``function_call_output`` and friends) is a ``tool`` message with its ``call_id``;
* any other message keeps its role and text.

Reasoning items and hosted tool calls (``web_search_call``, ...) run on the server and add nothing: an
application that drops them when it resends the history still matches.
"""

from __future__ import annotations

from typing import Any

from ._common import get, str_or_none, text_of_content
from ._common import items as items_of

__all__ = ["input_history", "output_answer"]

_OUTPUT_ITEMS = frozenset({"function_call", "custom_tool_call", "reasoning"})
_TOOL_OUTPUTS = frozenset({"function_call_output", "custom_tool_call_output", "computer_call_output", "local_shell_call_output"})


def input_history(value: Any) -> list[dict[str, Any]] | None:
    """The chat-like history of a Responses ``input`` (a string or a list of items), or None."""
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, (list, tuple)):
        return None  # a generator or other one-shot iterable belongs to the SDK: never consume it
    history: list[dict[str, Any]] = []
    run: list[Any] = []
    for item in value:
        if _is_output(item):
            run.append(item)
            continue
        if run:
            history.append(output_answer(run))
            run = []
        history.append(_message(item))
    if run:
        history.append(output_answer(run))
    return history


def output_answer(items: Any) -> dict[str, Any]:
    """One assistant message for a run of model-output items (a response's ``output``)."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for item in items_of(items):
        kind = str_or_none(get(item, "type"))
        if kind in (None, "message"):
            text = text_of_content(get(item, "content"))
            if text:
                texts.append(text)
        elif kind in ("function_call", "custom_tool_call"):
            arguments = get(item, "arguments") if kind == "function_call" else get(item, "input")
            function = {"name": str_or_none(get(item, "name")), "arguments": str_or_none(arguments)}
            calls.append({"id": str_or_none(get(item, "call_id")), "function": function})
    answer: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        answer["tool_calls"] = calls
    return answer


def _is_output(item: Any) -> bool:
    kind = str_or_none(get(item, "type"))
    if kind in (None, "message"):
        return get(item, "role") == "assistant"
    return kind in _OUTPUT_ITEMS or (isinstance(kind, str) and kind.endswith("_call"))


def _message(item: Any) -> dict[str, Any]:
    kind = str_or_none(get(item, "type"))
    if kind in _TOOL_OUTPUTS:
        output = get(item, "output")
        text = output if isinstance(output, str) else text_of_content(output)
        return {"role": "tool", "content": text, "tool_call_id": str_or_none(get(item, "call_id"))}
    if kind in (None, "message"):
        return {"role": str_or_none(get(item, "role")), "content": text_of_content(get(item, "content"))}
    return {"role": kind, "content": None, "tool_call_id": str_or_none(get(item, "id")) or str_or_none(get(item, "call_id"))}
