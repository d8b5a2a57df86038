"""Automatic conversation threading.

A chat request carries its whole history. When a request's messages begin with an earlier request's
messages followed by that request's answer, it continues the same conversation and gets its id.

What makes two messages "the same" (the canonical form): a message is reduced to its ``role``, its
text (string content, or the text parts of a list joined with newlines), its tool calls as
``(id, function name, arguments)`` and its ``tool_call_id``; so a dict and the SDK's own message
object with the same content match. A running hash over those forms gives one digest per prefix of
the history. The digests live only in this process's memory (they are never written), which is why
Python's own fast ``hash`` is enough.

A history is re-sent on every turn, so nothing is read twice: the digests of a request are kept, keyed
by its last message, and a follow-up that starts with the same messages (compared by value with shallow
snapshots, in C) reuses them and reads only its new messages; a message met outside such a chain has
its canonical form cached by identity and checked against a snapshot of its fields. So turn 50 of a
conversation costs about what turn 1 does. Replacing a field of a dict message (``message["content"] =
...``) is noticed; editing a list inside a message, or an SDK message object, in place after it was
sent is not.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from ._forksafe import after_fork_in_child
from ._ids import prefixed_id

__all__ = ["ConversationLinker", "canonical_message", "extend_digest", "new_conversation_id", "prefix_digests"]

_EMPTY_DIGEST = hash("hilt-conversation-v1")
_FORM_CACHE_SIZE = 1024


def new_conversation_id() -> str:
    """A fresh, time-ordered conversation id (``conv_`` + 32 hex digits)."""
    return prefixed_id("conv_")


def _get(obj: Any, name: str) -> Any:
    if type(obj) is dict:
        return obj.get(name)
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _text_of(content: Any) -> str | None:
    if content is None or type(content) is str:
        return content
    if isinstance(content, (list, tuple)):
        texts = [_get(part, "text") for part in content if _get(part, "type") in ("text", "input_text", "output_text")]
        return "\n".join(t for t in texts if isinstance(t, str))
    return None


def canonical_message(message: Any) -> tuple[Any, ...]:
    """The canonical form of one chat message (a dict or an SDK model), as a hashable tuple."""
    if type(message) is dict and not message.get("tool_calls"):  # the common case, read directly
        content = message.get("content")
        text = content if content is None or type(content) is str else _text_of(content)
        return (message.get("role"), text or None, (), message.get("tool_call_id"))
    calls = _get(message, "tool_calls")
    call_forms: tuple[Any, ...] = ()
    if calls:
        call_forms = tuple(
            (_get(c, "id"), _get(_get(c, "function"), "name"), _get(_get(c, "function"), "arguments")) for c in calls
        )
    return (_get(message, "role"), _text_of(_get(message, "content")) or None, call_forms, _get(message, "tool_call_id"))


# id(message) -> (message, snapshot of its fields, hash of its canonical form); holding the message
# keeps its id from being reused while the entry lives. Dict messages are compared as they are, SDK
# models by their field dict.
_forms: dict[int, tuple[Any, dict[str, Any], int]] = {}
_forms_lock = threading.Lock()
_linkers: weakref.WeakSet[ConversationLinker] = weakref.WeakSet()


@after_fork_in_child
def _new_locks() -> None:
    """A lock held by a parent's thread at the fork would stay held forever in the child."""
    global _forms_lock
    _forms_lock = threading.Lock()
    for linker in list(_linkers):
        linker._lock = threading.Lock()


def _form_hash(message: Any) -> int:
    """The hash of ``canonical_message(message)``, cached (see the module docstring)."""
    form = hash(canonical_message(message))
    fields = message if type(message) is dict else getattr(message, "__dict__", None)
    if fields is not None:
        with _forms_lock:
            if len(_forms) >= _FORM_CACHE_SIZE:
                _forms.clear()
            _forms[id(message)] = (message, dict(fields), form)
    return form


# id(last message of a request) -> (snapshots of its messages, their prefix digests): the request that a
# follow-up continues. The key only finds a candidate; the follow-up's messages are then compared with
# the snapshots by value (in C, a few nanoseconds per message), so a reused id is harmless.
_chains: dict[int, tuple[list[Any], list[int]]] = {}
_CHAIN_CACHE_SIZE = 512
_LOOK_BACK = 4  # a follow-up usually adds the answer and one question; tool rounds add a few more


def _snapshot(message: Any) -> Any:
    return dict(message) if type(message) is dict else message  # SDK models: compared by identity


# The request list that the message-copy cache (``hilt/providers/openai/_message_copies.py``) has just
# read: ``(messages, snapshots of all of them, the earlier snapshot list it found equal to messages'
# head)``. The copies are made first, then the digests of the same list: reusing that comparison and
# those snapshots compares a resent history once per call instead of twice.
_NOTHING_COMPARED: tuple[Any, list[Any], Any] = (None, [], None)
_compared = _NOTHING_COMPARED


def share_comparison(messages: Sequence[Any], snapshots: list[Any], matched: Any) -> None:
    """Tell :func:`prefix_digests` that ``messages`` were snapshotted as ``snapshots`` (``dict(m)`` for
    each, all dicts) and that their head equals the earlier snapshot list ``matched`` (or None)."""
    global _compared
    _compared = (messages, snapshots, matched)


def prefix_digests(messages: Sequence[Any]) -> list[int]:
    """``digests[i]`` identifies ``messages[:i + 1]`` (a list shared with the cache: read it, never change it).

    When the request continues an earlier one (same messages, then new ones), the earlier digests are
    reused after one value comparison of the shared messages; only the new messages are read.
    """
    count = len(messages)
    digests: list[int] = []
    snapshots: list[Any] = []
    global _compared
    compared, shared, matched = _compared
    _compared = _NOTHING_COMPARED  # used once: by the digests of the very list the copies just read
    if compared is not messages or len(shared) != count:
        shared = matched = None
    for last in range(count - 1, max(count - 1 - _LOOK_BACK, -1), -1):
        chain = _chains.get(id(messages[last]))
        if chain is None or len(chain[0]) != last + 1:
            continue
        if chain[0] is matched and matched is not None:  # compared by the message copies already
            same = True
        else:
            head = messages[: last + 1]
            try:
                same = (head if type(head) is list else list(head)) == chain[0]
            except Exception:  # a field whose == misbehaves (an array...): read the messages again
                same = False
        if same:
            if last == count - 1:  # the very same request again: nothing new to read or store
                return chain[1]
            digests = list(chain[1])
            if shared is None:
                snapshots = list(chain[0])
            _chains.pop(id(messages[last]), None)  # the longer chain stored below replaces it
            break
    digest = digests[-1] if digests else _EMPTY_DIGEST
    get = _forms.get
    for message in messages[len(digests) :]:
        entry = get(id(message))  # inlined cache hit: same object, same fields
        if entry is not None and entry[0] is message:
            try:
                same = (message if type(message) is dict else message.__dict__) == entry[1]
            except Exception:
                same = False
            form = entry[2] if same else _form_hash(message)
        else:
            form = _form_hash(message)
        digest = hash((digest, form))
        digests.append(digest)
        if shared is None:
            snapshots.append(_snapshot(message))
    if count:
        if len(_chains) >= _CHAIN_CACHE_SIZE:
            _chains.clear()
        _chains[id(messages[-1])] = (shared if shared is not None else snapshots, digests)
    return digests


def extend_digest(digest: int, message: Any) -> int:
    """The digest of a history after appending ``message`` to the history ``digest`` identifies."""
    return hash((digest, hash(canonical_message(message))))


class ConversationLinker:
    """Remembers (history + answer) → conversation id for the most recent ``capacity`` answers."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._known: OrderedDict[Any, str] = OrderedDict()
        self._lock = threading.Lock()
        _linkers.add(self)

    def find(self, messages: Sequence[Any], digests: Sequence[int]) -> str | None:
        """The conversation that ``messages`` continue, looking from the longest prefix down."""
        with self._lock:
            for index in range(len(digests) - 2, -1, -1):
                message = messages[index]
                role = message.get("role") if type(message) is dict else _get(message, "role")
                if role != "assistant":
                    continue
                found = self._known.get(digests[index])
                if found is not None:
                    self._known.move_to_end(digests[index])
                    return found
        return None

    def remember(self, digest: Any, conversation_id: str) -> None:
        """Record that the history identified by ``digest`` belongs to ``conversation_id``."""
        with self._lock:
            known = self._known
            if digest in known:
                known.move_to_end(digest)
            known[digest] = conversation_id  # a new key goes to the end by itself
            if len(known) > self._capacity:
                known.popitem(last=False)

    def remember_key(self, key: str, conversation_id: str) -> None:
        """Record an opaque key (for example a Responses API response id) for ``conversation_id``."""
        self.remember(("key", key), conversation_id)

    def find_key(self, key: str) -> str | None:
        """The conversation recorded for ``key`` by :meth:`remember_key`."""
        with self._lock:
            return self._known.get(("key", key))
