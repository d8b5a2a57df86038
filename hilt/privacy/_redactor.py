"""``Redactor``: the built-in redactors chosen by name plus the application's own functions, run over one text.

A built-in replaces each validated match by its typed marker (``[EMAIL]``); a custom redactor is any
``str -> str`` function, given as the function itself or as ``"module:function"`` (imported once, when
the redactor is built). Counts go to the ``counts`` dict the caller passes (values are never kept).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Union

from ..exceptions import ConfigError
from ._names import BUILTIN_NAMES
from ._patterns import BUILTINS, TOKEN_RUN, Builtin, Views

__all__ = ["RedactorSpec", "Redactor", "RedactionError", "load_function"]

RedactorSpec = Union[str, Callable[[str], str]]
"""A built-in name (``"email"``), a ``"module:function"`` path, or a ``str -> str`` function."""


class RedactionError(Exception):
    """A custom redactor failed or returned something other than a string (the field is not written)."""

    def __init__(self, label: str, cause: BaseException | None, problem: str) -> None:
        super().__init__(f"the redactor {label} {problem}")
        self.label, self.cause = label, cause


def load_function(path: str, source: str = "instrument()") -> Callable[[str], str]:
    """The function named by ``"package.module:function"``; ``ConfigError`` when it cannot be imported."""
    module_name, _, attribute = path.partition(":")
    expected = 'a built-in redactor name or an importable "module:function" taking and returning a string'
    try:
        target = importlib.import_module(module_name.strip())
        for part in attribute.strip().split("."):
            target = getattr(target, part)
    except Exception as exc:
        raise ConfigError(source, "redact", f"{expected} ({type(exc).__name__}: {exc})", path) from None
    if not callable(target):
        raise ConfigError(source, "redact", expected, path)
    return target  # type: ignore[no-any-return]


def _label(function: Callable[[str], str]) -> str:
    return str(getattr(function, "__qualname__", None) or getattr(function, "__name__", None) or type(function).__name__)


Screen = tuple[str, bool]
"""What a text must hold for a set of built-ins to find anything: one of these characters, or (when the
flag is set) a run of 16 token characters."""


def _screen(builtins: tuple[Builtin, ...]) -> Screen | None:
    """The union of the built-ins' cheap tests; ``None`` when one of them has none."""
    characters, token_run = "", False
    for builtin in builtins:
        if builtin.needs == TOKEN_RUN:
            token_run = True
        elif builtin.needs:
            characters += "".join(c for c in builtin.needs if c not in characters)
        else:
            return None
    return characters, token_run


def _replace_builtins(builtins: tuple[Builtin, ...], screen: Screen | None, text: str, counts: dict[str, int]) -> str:
    """Every span a built-in finds becomes its marker; where spans overlap, the earlier built-in wins.

    Most texts (prose without digits, ``@``, colons or long tokens) fail ``screen`` and are returned at
    once: a few ``in`` tests, which run at memchr speed, instead of every finder."""
    views = Views(text)
    if screen is not None and not any(map(text.__contains__, screen[0])):
        if not screen[1] or len(text) < 16 or views.long_token < 0:
            return text
    taken: list[tuple[int, int, str]] = []
    length = len(text)
    for builtin in builtins:
        if length < builtin.min_length:
            continue
        spans = builtin.find(views)
        if not spans:
            continue
        found = 0
        for start, end in sorted(spans):
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, builtin.marker))
                found += 1
        if found:
            counts[builtin.name] = counts.get(builtin.name, 0) + found
    if not taken:
        return text
    pieces, position = [], 0
    for start, end, marker in sorted(taken):
        pieces += (text[position:start], marker)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


class Redactor:
    """Runs the built-ins (in a fixed order: secrets, email, card, iban, phone, ip; where two find
    overlapping text the earlier wins), then the custom functions in the order given.

    Raises:
        ConfigError: an unknown name, or a ``"module:function"`` that cannot be imported.
    """

    __slots__ = ("_builtins", "_screen", "customs", "names")

    def __init__(self, redactors: Iterable[RedactorSpec], *, source: str = "instrument()") -> None:
        chosen: set[str] = set()
        customs: list[tuple[str, Callable[[str], str]]] = []
        for item in redactors:
            if callable(item):
                customs.append((_label(item), item))
            elif isinstance(item, str) and item.strip() in BUILTINS:
                chosen.add(item.strip())
            elif isinstance(item, str) and ":" in item:
                customs.append((item.strip(), load_function(item, source)))
            else:
                raise ConfigError(source, "redact", "built-in names (" + ", ".join(BUILTIN_NAMES) + '), "module:function" paths or functions', item)
        self.builtins = tuple(builtin for name, builtin in BUILTINS.items() if name in chosen)
        self.customs = tuple(customs)
        self.names = tuple(builtin.name for builtin in self.builtins) + tuple(label for label, _ in customs)

    def __repr__(self) -> str:
        return f"Redactor({', '.join(self.names)})"

    @property
    def builtins(self) -> tuple[Builtin, ...]:
        """The built-ins that run, in order."""
        return self._builtins

    @builtins.setter
    def builtins(self, builtins: tuple[Builtin, ...]) -> None:
        self._builtins, self._screen = builtins, _screen(builtins)

    def redact(self, text: str, counts: dict[str, int]) -> str:
        """``text`` with every match replaced by its marker; adds what fired to ``counts``.

        Raises:
            RedactionError: a custom redactor raised or did not return a string.
        """
        if self._builtins:
            text = _replace_builtins(self._builtins, self._screen, text, counts)
        for label, function in self.customs:
            try:
                changed = function(text)
            except Exception as exc:
                raise RedactionError(label, exc, f"raised {type(exc).__name__}") from exc
            if not isinstance(changed, str):
                raise RedactionError(label, None, f"returned a {type(changed).__name__}, not a string")
            if changed != text:
                counts[label] = counts.get(label, 0) + 1
            text = changed
        return text
