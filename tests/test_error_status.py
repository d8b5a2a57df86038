"""The status code of a failed call follows the one definition of a cancellation (hilt._safety.is_cancellation)."""

from __future__ import annotations

import asyncio

import pytest

from hilt._safety import is_cancellation
from hilt.providers.openai._common import STATUS_CANCELLED_CODE, STATUS_CLIENT_ERROR_CODE, describe_error


class Cancelled(BaseException):
    """Named like trio's and anyio's cancellation exceptions."""


@pytest.mark.parametrize("exc", [asyncio.CancelledError(), KeyboardInterrupt(), GeneratorExit(), Cancelled()])
def test_every_cancellation_gets_499(exc: BaseException) -> None:
    """asyncio, Ctrl-C, a closed generator and trio/anyio cancellations all record status 499."""
    assert is_cancellation(exc)
    assert describe_error(exc)[0] == STATUS_CANCELLED_CODE


def test_a_plain_failure_gets_500() -> None:
    """An exception that is not a cancellation and has no status records 500."""
    assert describe_error(ValueError("bad"))[:3] == (STATUS_CLIENT_ERROR_CODE, "ValueError", "bad")
