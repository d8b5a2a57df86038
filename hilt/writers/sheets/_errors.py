"""How failures of Google's API are classified: :class:`Retryable` (back off, try again) or ``WriterError``.

:class:`ApiCalls` is the context manager every Sender request runs under: it turns gspread, requests and
google-auth exceptions into one of the two, with a message that says what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...exceptions import WriterError
from ._client import Credentials, credentials_error, explain_api_error

__all__ = ["ApiCalls", "Retryable"]


class Retryable(Exception):
    """A failure worth retrying after a back-off (429, 5xx, network). ``retry_after`` in seconds, if the server said."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class ApiCalls:
    """Translates gspread / requests / google-auth errors into :class:`Retryable` or ``WriterError``."""

    def __init__(self, sheet_id: str, credentials: Credentials, what: str, refused: Callable[[], None] | None) -> None:
        self.sheet_id, self.credentials, self.what, self.refused = sheet_id, credentials, what, refused

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or isinstance(exc, (WriterError, Retryable)):
            return False
        from gspread.exceptions import APIError, SpreadsheetNotFound
        from requests.exceptions import RequestException

        sheet = self.sheet_id
        if isinstance(exc, SpreadsheetNotFound):
            raise WriterError(explain_api_error(_Code(404), sheet, self.credentials) or str(exc)) from exc
        if isinstance(exc.__cause__, APIError) and not isinstance(exc, APIError):
            exc = exc.__cause__  # gspread turns a 403 into a bare PermissionError
        if isinstance(exc, APIError):
            code = exc.code
            if code == 429 or code == 408 or (isinstance(code, int) and code >= 500):
                if code == 429 and self.refused is not None:
                    self.refused()
                retry_after = _retry_after(exc)
                raise Retryable(f"could not {self.what}: {exc}", retry_after=retry_after, status=code) from exc
            message = explain_api_error(exc, sheet, self.credentials)
            raise WriterError(message or f"could not {self.what} in sheet {sheet!r}: {exc}") from exc
        if getattr(exc, "retryable", False):
            raise Retryable(f"could not {self.what}: {exc}") from exc
        message = credentials_error(exc, self.credentials)
        if message:
            raise WriterError(message) from exc
        if isinstance(exc, (RequestException, OSError)) or type(exc).__module__.startswith("google.auth"):
            raise Retryable(f"could not {self.what}: {type(exc).__name__}: {exc}") from exc
        return False


class _Code:
    def __init__(self, code: int) -> None:
        self.code = code


def _retry_after(exc: Any) -> float | None:
    try:
        value = exc.response.headers.get("Retry-After")
        return float(value) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None
