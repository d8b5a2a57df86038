"""The cheap test that lets most texts skip the built-in finders (``Builtin.needs``) never hides a match."""

from __future__ import annotations

from hilt.privacy import Redactor
from hilt.privacy._patterns import BUILTINS, TOKEN_RUN, Builtin, Views
from tests.privacy.precision import labelled

LOOK_ALIKES = [
    "call me at noon", "user@host", "see RFC 3986: a::b", "v1.2.3", "order 123456789", "x" * 15, "x" * 16,
    "Bearer abcdefghijklmnop1", "aws_secret_access_key = " + "A" * 40, "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----",
]  # fmt: skip


def _passes(builtin: Builtin, text: str) -> bool:
    if builtin.needs == TOKEN_RUN:
        return Views(text).long_token >= 0
    return any(character in text for character in builtin.needs)


def test_a_text_that_fails_a_builtins_test_holds_nothing_it_would_find():
    """Over the labelled set and some edge cases, every built-in finds nothing in each text that fails its cheap test."""
    texts = [case["text"] for case in labelled()] + LOOK_ALIKES
    skipped = 0
    for name, builtin in BUILTINS.items():
        assert builtin.needs, name
        for text in texts:
            if not _passes(builtin, text):
                skipped += 1
                assert builtin.find(Views(text)) == [], (name, text)
    assert skipped > 100


def test_finders_run_only_on_texts_that_pass_the_screen():
    """A built-in's finder is not called for a text without what it needs, and is called for one with it."""
    seen: list[str] = []

    def finder(views: Views) -> list[tuple[int, int]]:
        seen.append(views.text)
        return [(0, 1)] if views.text.startswith("@") else []

    redactor = Redactor(["email"])
    redactor.builtins = (Builtin("email", "[EMAIL]", finder, 0, "@"),)
    counts: dict[str, int] = {}
    prose = "Revenue rose by twelve percent, driven by the new subscription tier."
    assert redactor.redact(prose, counts) is prose
    assert redactor.redact("@ada", counts) == "[EMAIL]ada"
    assert seen == ["@ada"]
    assert counts == {"email": 1}


def test_a_builtin_without_a_test_always_runs():
    """A built-in with no cheap test (``needs`` empty) is called on every text long enough for it."""
    seen: list[str] = []
    redactor = Redactor(["email"])
    redactor.builtins = (Builtin("email", "[EMAIL]", lambda views: seen.append(views.text) or [], 0),)
    redactor.redact("plain words", {})
    assert seen == ["plain words"]
