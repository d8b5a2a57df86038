"""The built-in redactors: a compiled pattern, where to run it, and a validator each.

Python's regular expressions cost about 10-50 ns per character scanned, too much to run six of them
over every prompt. So each finder first looks at a byte view of the text (digits as ``9``, capitals as
``A``, ...) with ``bytes.find``, which runs at C speed, and runs its pattern only around the places a
match could start. A validator then rejects look-alikes the pattern alone would take (a Luhn check for
card numbers, mod-97 for IBANs, address parsing for IPv6), so order numbers, dates and versions survive.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

__all__ = ["BUILTINS", "TOKEN_RUN", "Builtin", "Views", "iban_valid", "luhn_valid"]


class Builtin(NamedTuple):
    """One built-in redactor: ``find`` gives the spans of a text that become ``marker``."""

    name: str
    marker: str
    find: Callable[[Views], list[tuple[int, int]]]
    min_length: int
    """Shorter texts cannot hold a match (the finder is not called)."""
    needs: str = ""
    """A cheap test a text must pass for ``find`` to find anything: one of these characters in it, or
    ``TOKEN_RUN`` (16 token characters in a row); empty: no test, ``find`` always runs."""


TOKEN_RUN = "token run"


_DOUBLED = {str(digit): 2 * digit - 9 if digit > 4 else 2 * digit for digit in range(10)}


def luhn_valid(number: str) -> bool:
    """The Luhn checksum of a card number (separators ignored), plus a plausible issuer prefix and length."""
    digits = number.replace(" ", "").replace("-", "")
    if not (digits.isascii() and digits.isdigit()):  # other separators, or digits of another script
        digits = "".join(str(int(c)) for c in number if c.isdigit())
    if not 13 <= len(digits) <= 19 or digits[0] not in "23456":
        return False
    return (sum(map(int, digits[-1::-2])) + sum(map(_DOUBLED.__getitem__, digits[-2::-2]))) % 10 == 0


# ISO 13616 lengths per country (the registry's list); an IBAN of another length is not one.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def iban_valid(candidate: str) -> bool:
    """The country's length and the ISO 7064 mod-97 check (spaces ignored)."""
    iban = candidate.replace(" ", "")
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _ipv6_valid(candidate: str) -> bool:
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return sum(c.isalnum() for c in candidate) >= 2  # "::" alone is C++ scope, not an address


_SECRETS = re.compile(
    r"(?<![\w-])(?:"
    r"sk-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_-]{20,}"  # OpenAI (sk-, sk-proj-, sk-svcacct-) and Anthropic (sk-ant-api03-)
    r"|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe secret and restricted keys
    r"|AIza[0-9A-Za-z_-]{35}|ya29\.[0-9A-Za-z_-]{20,}"  # Google API key, OAuth access token
    r"|(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![0-9A-Za-z])"  # AWS access key id
    r"|(?i:aws_?secret_?access_?key)[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])"  # AWS secret key
    r"|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}"  # GitHub tokens
    r"|xox[abposr]-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/]+"  # Slack
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JWT (header and payload are JSON)
    r"|(?i:bearer)\s+(?=[A-Za-z0-9._~+/-]*\d)[A-Za-z0-9._~+/-]{16,}=*"  # an Authorization header value
    r")"
)
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)")

_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]{1,64}@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,24}(?![\w-])")  # \w: accents too

# Card numbers: 13 to 19 digits, optionally in groups separated by one space or dash.
_CARD = re.compile(r"(?<![\d.,-])\d(?:[ -]?\d){12,18}(?!\d|[.,-]\d)")

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])")

# Phones: international (+CC ...), North American (555) 123-4567, or national with a trunk 0, the
# groups sharing one separator (so "01.02.2024 10:30" stays a date).
_PHONE = re.compile(
    r"(?<![\w+.-])(?:"
    r"\+\d{1,3}([ .-]?)\(?\d{1,4}\)?(?:\1\d{2,4}){1,5}"
    r"|\(\d{3}\) ?\d{3}[ .-]\d{4}|\d{3}([.-])\d{3}\2\d{4}"
    r"|0\d{1,4}([ .-]?)\d{2,8}(?:\3\d{2,4}){0,3}"
    r")(?![\w-]|\.\d)"
)

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)")
_IPV6_CHARS = "0123456789ABCDEFabcdef:."

# Byte views of a text (one byte per character: non-ASCII characters become "?"), searched with
# bytes.find, which runs at C speed; the patterns above then run only where a view shows a candidate.
_SEPARATORS = b" .()-"
_PACKED = bytes.maketrans(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"9" * 10 + b"A" * 26)
_TOKEN_CHARS = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"
_TOKENS = bytes(ord("w") if byte in _TOKEN_CHARS else ord(" ") if chr(byte).isspace() else ord(".") for byte in range(256))
_LONG_TOKEN = b"w" * 16


class Views:
    """One text and the byte views the finders share, each computed on first use."""

    __slots__ = ("text", "_ascii", "_packed", "_classes", "_tokens", "_digits", "_long_token")

    def __init__(self, text: str) -> None:
        self.text = text
        self._ascii = self._packed = self._classes = self._tokens = b""
        self._digits = self._long_token = -2

    @property
    def digits(self) -> int:
        """How many ASCII digits the text holds."""
        if self._digits < -1:
            self._digits = self.classes.count(b"9")
        return self._digits

    @property
    def ascii(self) -> bytes:
        if not self._ascii:
            self._ascii = self.text.encode("ascii", "replace")
        return self._ascii

    @property
    def packed(self) -> bytes:
        """Digits as ``9``, capitals as ``A``, separators removed: ``+33 6 12`` → ``+33612``."""
        if not self._packed:
            self._packed = self.ascii.translate(_PACKED, _SEPARATORS)
        return self._packed

    @property
    def classes(self) -> bytes:
        """Digits as ``9``, capitals as ``A``, same length as the text."""
        if not self._classes:
            self._classes = self.ascii.translate(_PACKED)
        return self._classes

    @property
    def long_token(self) -> int:
        """Where the first run of 16 token characters starts (-1: none; every secret has one)."""
        if self._long_token < -1:
            self._long_token = self.tokens.find(_LONG_TOKEN)
        return self._long_token

    @property
    def tokens(self) -> bytes:
        """``w`` for ``[A-Za-z0-9_-]``, a space for white space, ``.`` for anything else."""
        if not self._tokens:
            self._tokens = self.ascii.translate(_TOKENS)
        return self._tokens


Span = tuple[int, int]


def _matches(pattern: re.Pattern[str], text: str, start: int, end: int, valid: Callable[[str], bool] | None = None) -> list[Span]:
    return [m.span() for m in pattern.finditer(text, max(start, 0), end) if valid is None or valid(m.group())]


def _runs(view: bytes, needle: re.Pattern[bytes], chars: bytes) -> Iterator[Span]:
    """The maximal runs of ``chars`` in ``view`` that hold a match of ``needle`` (at most 48 bytes each side of it).

    ``needle`` is a compiled literal (or literal-first) pattern: sre's prefix search beats ``bytes.find``
    for short needles."""
    hit = needle.search(view)
    while hit is not None:
        at = hit.start()
        head, tail = view[max(at - 48, 0) : at], view[at : at + 64]
        start, end = at - (len(head) - len(head.rstrip(chars))), at + (len(tail) - len(tail.lstrip(chars)))
        yield start, end
        hit = needle.search(view, max(end, at + 1))


def _numbers(views: Views, needle: re.Pattern[bytes], digits: int, pattern: re.Pattern[str], valid: Callable[[str], bool]) -> list[Span]:
    """Matches in the runs of digits and separators holding ``needle`` and at least ``digits`` digits; a text
    without that many digits in a row once separators are removed is skipped at once."""
    if views.digits < digits or b"9" * digits not in views.packed:
        return []
    classes = views.classes
    text, spans = views.text, []
    for start, end in _runs(classes, needle, b"9 .-()+"):
        if classes.count(b"9", start, end) >= digits:
            spans += _matches(pattern, text, start, min(end + 2, len(text)), valid)  # + 2: the lookahead sees what follows
    return spans


def _secrets(views: Views) -> list[Span]:
    """Every secret has a run of 16 token characters (a key, a token, a private key's base64 lines)."""
    text, tokens, at = views.text, views.tokens, views.long_token
    if at < 0:
        return []
    spans = _matches(_PRIVATE_KEY, text, 0, len(text)) if "PRIVATE KEY" in text else []
    while at >= 0:  # each whitespace-delimited word holding a run of 16 token characters, with some context
        start, end = tokens.rfind(b" ", 0, at) + 1, tokens.find(b" ", at)
        end = len(text) if end < 0 else end
        spans.extend(_matches(_SECRETS, text, start - 24, min(end + 48, len(text))))
        at = tokens.find(_LONG_TOKEN, end)
    return sorted(set(spans))  # neighbouring windows may find the same match


def _around(view: bytes, needle: re.Pattern[bytes], pattern: re.Pattern[str], text: str, before: int, after: int,
            valid: Callable[[str], bool] | None = None) -> list[Span]:
    """Matches of ``pattern`` in a window around each match of ``needle`` in ``view`` (same length as ``text``)."""
    spans: list[Span] = []
    hit = needle.search(view)
    while hit is not None:
        at = hit.start()
        found = _matches(pattern, text, at - before, min(at + after, len(text)), valid)
        spans.extend(found)
        hit = needle.search(view, max([at + 1] + [end for _, end in found]))
    return sorted(set(spans))  # neighbouring windows may find the same match


_FILE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".pdf")  # icon@2x.png is a file name


def _email_valid(candidate: str) -> bool:
    return not candidate.lower().endswith(_FILE_SUFFIXES)


_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789?"  # "?": any non-ASCII character
_LOCAL_CHARS, _DOMAIN_CHARS = _LETTERS + b"._%+-", _LETTERS + b".-"


def _emails(views: Views) -> list[Span]:
    """The pattern runs on the characters an address may hold on each side of each ``@``."""
    text = views.text
    if "@" not in text:
        return []
    view, spans = views.ascii, []
    at = view.find(b"@")
    while at >= 0:
        head, tail = view[max(at - 64, 0) : at], view[at + 1 : at + 256]
        start, end = at - (len(head) - len(head.rstrip(_LOCAL_CHARS))), at + 1 + (len(tail) - len(tail.lstrip(_DOMAIN_CHARS)))
        if start < at < end - 1:
            spans += _matches(_EMAIL, text, start, min(end + 1, len(text)), _email_valid)
        at = view.find(b"@", max(end, at + 1))
    return spans


_MIDDLE_OCTET = re.compile(rb"\.9{1,3}\.")  # every IPv4 address has one: ".168." in 192.168.1.10
_NINES = re.compile(rb"9999")
_PAIR = re.compile(rb"99")
_IBAN_START = re.compile(rb"AA99")


def _ibans(views: Views) -> list[Span]:
    """Every IBAN has at least 8 digits (the shortest, Norway's, has 13)."""
    return _around(views.classes, _IBAN_START, _IBAN, views.text, 0, 48, iban_valid) if views.digits >= 8 else []


def _ips(views: Views) -> list[Span]:
    text = views.text
    spans = _ipv4(views.classes, text) if "." in text and views.digits >= 4 else []
    colons = text.count(":") if ":" in text else 0
    if colons >= 7 or (colons >= 2 and "::" in text):
        spans += _ipv6(text)
    return spans


def _ipv4(classes: bytes, text: str) -> list[Span]:
    """IPv4 addresses: the pattern runs on a run of digits and dots with exactly three inner dots (a
    decimal number, a version ``1.2.3`` or a section ``1.2.3.4.5`` has not)."""
    spans: list[Span] = []
    for start, end in _runs(classes, _MIDDLE_OCTET, b"9."):
        run = classes[start:end]
        core = run.strip(b".")
        if core.count(b".") == 3 and len(core) <= 15:
            start += len(run) - len(run.lstrip(b"."))
            spans += _matches(_IPV4, text, start, min(start + len(core) + 2, len(text)))
    return spans


_COLON_PAIR = re.compile(r":.{0,4}:", re.S)  # every colon of an address has another within 5 characters after it


def _ipv6(text: str) -> list[Span]:
    """IPv6 addresses: the run of hex digits, colons and dots around each colon, checked by ``ipaddress``."""
    spans: list[Span] = []
    hit = _COLON_PAIR.search(text)
    while hit is not None:
        at = hit.start()
        before, after = text[max(at - 45, 0) : at], text[at : at + 45]
        start, end = at - (len(before) - len(before.rstrip(_IPV6_CHARS))), at + (len(after) - len(after.lstrip(_IPV6_CHARS)))
        candidate = text[start:end].rstrip(".")
        bounded = (start == 0 or not text[start - 1].isalnum()) and (end >= len(text) or not text[end].isalnum())
        if bounded and ("::" in candidate or candidate.count(":") == 7) and _ipv6_valid(candidate):
            spans.append((start, start + len(candidate)))
        hit = _COLON_PAIR.search(text, max(end, at + 1))
    return spans


_DIGITS = "0123456789"


def _phone_valid(candidate: str) -> bool:
    return 9 <= sum(map(str.isdigit, candidate)) <= 15


BUILTINS: dict[str, Builtin] = {
    builtin.name: builtin
    for builtin in (
        Builtin("secrets", "[SECRET]", _secrets, 16, TOKEN_RUN),
        Builtin("email", "[EMAIL]", _emails, 6, "@"),
        Builtin("card", "[CARD]", lambda views: _numbers(views, _NINES, 13, _CARD, luhn_valid), 13, _DIGITS),
        Builtin("iban", "[IBAN]", _ibans, 15, _DIGITS),
        Builtin("phone", "[PHONE]", lambda views: _numbers(views, _PAIR, 9, _PHONE, _phone_valid), 9, _DIGITS),
        Builtin("ip", "[IP]", _ips, 3, ":" + _DIGITS),  # IPv6 needs two colons, IPv4 four digits
    )
}
"""The built-ins by name, in the order they run: secrets first (a token may hold an e-mail-like part), cards
before phones (a card number is also a long digit group)."""
