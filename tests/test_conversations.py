"""Conversations: explicit ones through hilt.conversation(), automatic threading otherwise."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import hilt
from hilt.testing import read_lines


def sessions(path):
    return [(e["action"], e["session_id"]) for e in read_lines(path)]


def test_follow_up_joins_the_conversation(instrumented, client):
    """A request whose history is an earlier request plus its answer continues that conversation."""
    history = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    first = client.chat.completions.create(model="gpt-4o-mini", messages=history)
    history += [first.choices[0].message, {"role": "user", "content": "And then?"}]  # the SDK object itself
    second = client.chat.completions.create(model="gpt-4o-mini", messages=history)
    history += [{"role": "assistant", "content": second.choices[0].message.content}, {"role": "user", "content": "Ok"}]
    client.chat.completions.create(model="gpt-4o-mini", messages=history)
    ids = {session for _, session in sessions(instrumented)}
    assert len(ids) == 1
    assert next(iter(ids)).startswith("conv_")


def test_unrelated_requests_get_new_ids(instrumented, client):
    """The same first message sent twice is two conversations, each with its own id."""
    for _ in range(2):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
    events = read_lines(instrumented)
    assert events[0]["session_id"] == events[1]["session_id"]
    assert events[2]["session_id"] == events[3]["session_id"]
    assert events[0]["session_id"] != events[2]["session_id"]


def test_tool_round_trip_stays_in_the_conversation(instrumented, client):
    """Sending a tool result back after a tool call continues the same conversation."""
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    history = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(
        model="gpt-4o-mini", messages=history, tools=tools, extra_headers={"x-fake-tool-call": "get_weather"}
    )
    call = first.choices[0].message.tool_calls[0]
    history += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "18C"},
    ]
    client.chat.completions.create(model="gpt-4o-mini", messages=history, tools=tools)
    assert len({session for _, session in sessions(instrumented)}) == 1


def test_explicit_conversation(instrumented, client):
    """hilt.conversation() sets the session id, the end user, tags and metadata."""
    with hilt.conversation(id="support-42", user="alice", tags=["beta"], metadata={"plan": "pro"}):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
    prompt, completion = read_lines(instrumented)
    assert prompt["session_id"] == completion["session_id"] == "support-42"
    assert prompt["actor"] == {"type": "human", "id": "alice"}
    for event in (prompt, completion):
        assert event["extensions"]["user"] == "alice"
        assert event["extensions"]["tags"] == ["beta"]
        assert event["extensions"]["metadata"] == {"plan": "pro"}


def test_conversation_without_id_groups_calls(instrumented, client):
    """Calls in one conversation() block without an id share one generated id."""
    with hilt.conversation(user="bob") as context:
        for text in ("Hi", "Unrelated"):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
    assert {s for _, s in sessions(instrumented)} == {context.id}
    assert context.id.startswith("conv_")


def test_nested_conversations_merge(instrumented, client):
    """An inner block inherits the outer id and user and adds its tags."""
    with hilt.conversation(id="outer", user="carol", tags=["a"]):
        with hilt.conversation(tags=["b"], metadata={"step": 2}):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
    prompt = read_lines(instrumented)[0]
    assert prompt["session_id"] == "outer"
    assert prompt["extensions"]["tags"] == ["a", "b"]
    assert prompt["extensions"]["user"] == "carol"


async def test_asyncio_tasks_keep_their_own_conversation(instrumented, async_client):
    """Interleaved asyncio tasks never see each other's conversation."""

    async def talk(name):
        with hilt.conversation(id=f"conv-{name}", user=name):
            for _ in range(3):
                await async_client.chat.completions.create(
                    model="gpt-4o-mini",
                    messages=[{"role": "user", "content": name}],
                    extra_headers={"x-fake-delay-ms": "5"},
                )
                await asyncio.sleep(0)

    await asyncio.gather(talk("ann"), talk("ben"))
    for event in read_lines(instrumented):
        if event["action"] == "prompt":
            name = event["content"]["text"]
            assert event["session_id"] == f"conv-{name}"
            assert event["actor"]["id"] == name


def test_thread_with_copied_context(instrumented, client):
    """A thread started with a copy of the context keeps the conversation; a plain thread does not."""
    with hilt.conversation(id="threaded"):
        context = contextvars.copy_context()
    copied = threading.Thread(
        target=context.run,
        args=(client.chat.completions.create,),
        kwargs={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "copied"}]},
    )
    copied.start()
    copied.join()
    with hilt.conversation(id="not-inherited"):
        plain = threading.Thread(
            target=client.chat.completions.create,
            kwargs={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "plain"}]},
        )
        plain.start()
        plain.join()
    by_text = {e["content"]["text"]: e["session_id"] for e in read_lines(instrumented) if e["action"] == "prompt"}
    assert by_text["copied"] == "threaded"
    assert by_text["plain"] != "not-inherited"


def test_a_follow_up_reads_only_its_new_messages(monkeypatch):
    """prefix_digests of a request that continues an earlier one reads only the messages it adds, with the same digests."""
    import hilt._conversations as conversations

    history = [{"role": "system", "content": "Be brief."}] + [
        {"role": role, "content": f"{role} {i}"} for i in range(40) for role in ("user", "assistant")
    ]
    first = conversations.prefix_digests(history)
    read = []
    original = conversations.canonical_message
    monkeypatch.setattr(conversations, "canonical_message", lambda message: read.append(message) or original(message))
    follow_up = history + [{"role": "user", "content": "And then?"}]
    digests = conversations.prefix_digests(follow_up)
    assert read == [follow_up[-1]]
    assert digests[:-1] == first
    monkeypatch.setattr(conversations, "canonical_message", original)
    monkeypatch.setattr(conversations, "_chains", {})
    monkeypatch.setattr(conversations, "_forms", {})
    assert conversations.prefix_digests(follow_up) == digests  # the same digests, computed from scratch


def test_an_edited_earlier_message_is_noticed():
    """Replacing the content of an earlier message changes the digests of every prefix from it on."""
    from hilt._conversations import prefix_digests

    history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Bye"}]
    before = prefix_digests(history)
    history[1]["content"] = "Good day"
    after = prefix_digests(history + [{"role": "assistant", "content": "Bye"}])
    assert after[0] == before[0]
    assert after[1] != before[1]
    assert after[2] != before[2]


def _turns(count: int) -> list[dict[str, str]]:
    return [{"role": "system", "content": "Be brief."}] + [
        {"role": role, "content": f"{role} {i}"} for i in range(count) for role in ("user", "assistant")
    ]


def test_digests_reuse_the_comparison_the_message_copies_made(monkeypatch):
    """A follow-up's history is compared once: the digests take the copies' snapshots instead of comparing again."""
    import hilt._conversations as conversations
    from hilt.providers.openai._message_copies import _chains as copy_chains
    from hilt.providers.openai._message_copies import message_copies

    history = _turns(20)
    message_copies(history, wrap=True)
    conversations.prefix_digests(history)
    follow_up = history + [{"role": "user", "content": "And then?"}]
    message_copies(follow_up, wrap=True)
    digests = conversations.prefix_digests(follow_up)
    snapshots = conversations._chains[id(follow_up[-1])][0]
    assert snapshots is copy_chains[id(follow_up[-1])][2]  # one snapshot list for both caches
    assert snapshots == follow_up and snapshots[0] is not follow_up[0]
    monkeypatch.setattr(conversations, "_chains", {})
    monkeypatch.setattr(conversations, "_forms", {})
    assert conversations.prefix_digests(follow_up) == digests  # the same digests, computed from scratch


def test_a_message_edited_between_the_copies_and_the_digests_of_another_list_is_noticed():
    """The shared comparison only serves the very list the copies read: digests of an edited copy of it are recomputed."""
    from hilt._conversations import prefix_digests
    from hilt.providers.openai._message_copies import message_copies

    history = _turns(3)
    message_copies(history, wrap=True)
    before = prefix_digests(history)
    follow_up = history + [{"role": "user", "content": "next"}]
    message_copies(follow_up, wrap=True)
    edited = [dict(m) for m in follow_up]
    edited[2]["content"] = "changed"
    after = prefix_digests(edited)
    assert after[:2] == before[:2]
    assert after[2] != before[2]


def test_threading_follows_a_long_plain_history(instrumented, client):
    """Ten turns resending a plain-dict history, copies and digests sharing one comparison, stay one conversation."""
    history = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    for turn in range(10):
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=history)
        history = history + [{"role": "assistant", "content": reply.choices[0].message.content}, {"role": "user", "content": f"q{turn}"}]
    ids = {session for _, session in sessions(instrumented)}
    assert len(ids) == 1
