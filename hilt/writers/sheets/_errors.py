"""How failures of Google's API are classified: :class:`Retryable` (back off, try again), :class:`Rejected`
(Google refused these rows: 400) or ``WriterError`` (needs the user).

:class:`ApiCalls` is the context manager every Sender request runs under: it turns gspread, requests and
google-auth exceptions into one of those, with a message that says what to do. Replies are untrusted: an
error status is read from the HTTP response (gspread reports ``-1`` when the body is not JSON), and a reply
that cannot be parsed (``[]`` where an object belongs, a missing field) is a retryable failure, not a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...exceptions import WriterError
from ._backoff import retry_after_seconds
from ._client import Credentials, credentials_error, explain_api_error

__all__ = ["ApiCalls", "Rejected", "Retryable"]

MALFORMED_REPLY = (ValueError, TypeError, KeyError, IndexError, AttributeError)
"""What parsing an unexpected reply raises (in gspread or HILT); retried like a network error."""


class Retryable(Exception):
    """A failure worth retrying after a back-off (429, 5xx, network). ``retry_after`` in seconds, if the server said."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Rejected(WriterError):
    """Google refused a request because of what it carried (400): retrying the same rows cannot help."""


class ApiCalls:
    """Translates gspread / requests / google-auth errors into :class:`Retryable`, :class:`Rejected` or ``WriterError``.

    ``refused`` runs on a 429 (nothing was written). With ``rejectable=True`` a 400 raises :class:`Rejected`.
    """

    def __init__(
        self,
        sheet_id: str,
        credentials: Credentials,
        what: str,
        refused: Callable[[], None] | None = None,
        *,
        rejectable: bool = False,
    ) -> None:
        self.sheet_id, self.credentials, self.what, self.refused = sheet_id, credentials, what, refused
        self.rejectable = rejectable

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
            self._api_error(exc, _status(exc))
        if getattr(exc, "retryable", False):
            raise Retryable(f"could not {self.what}: {exc}") from exc
        message = credentials_error(exc, self.credentials)
        if message:
            raise WriterError(message) from exc
        if isinstance(exc, (RequestException, OSError)) or type(exc).__module__.startswith("google.auth"):
            raise Retryable(f"could not {self.what}: {type(exc).__name__}: {exc}") from exc
        if isinstance(exc, MALFORMED_REPLY):
            raise Retryable(f"could not {self.what}: unexpected reply from Google ({type(exc).__name__}: {exc})") from exc
        return False

    def _api_error(self, exc: Any, code: int | None) -> None:
        if code == 429 or code == 408 or code is None or code >= 500:
            if code == 429 and self.refused is not None:
                self.refused()
            retry_after = retry_after_seconds(_header(exc, "Retry-After"))
            raise Retryable(f"could not {self.what}: {exc}", retry_after=retry_after) from exc
        if code == 400 and self.rejectable:
            raise Rejected(_message(exc)) from exc
        message = explain_api_error(_Code(code, str(exc)), self.sheet_id, self.credentials)
        raise WriterError(message or f"could not {self.what} in sheet {self.sheet_id!r}: {exc}") from exc


class _Code:
    """An HTTP status and its text, in the shape :func:`explain_api_error` reads."""

    def __init__(self, code: int, text: str = "") -> None:
        self.code, self.text = code, text

    def __str__(self) -> str:
        return self.text


def _status(exc: Any) -> int | None:
    """The HTTP status of a gspread ``APIError``: the response's, else the JSON body's code."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(status, int) and status > 0:
        return status
    code = getattr(exc, "code", None)
    return code if isinstance(code, int) and code > 0 else None


def _header(exc: Any, name: str) -> str | None:
    try:
        value = exc.response.headers.get(name)
    except AttributeError:
        return None
    return value if isinstance(value, str) else None


def _message(exc: Any) -> str:
    """Google's explanation of an error (its JSON ``message``), else the response text, at most 300 characters."""
    error = getattr(exc, "error", None)
    text = error.get("message") if isinstance(error, dict) else None
    if not isinstance(text, str) or not text:
        text = str(exc)
    return text[:300]
