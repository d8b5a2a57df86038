"""Authenticated gspread clients for HILT: credentials, the endpoint rewrite, and clear errors.

Credentials, in order: ``credentials_json`` (the service-account JSON itself, from
``HILT_CREDENTIALS_JSON``), ``credentials_path`` (a service-account key file), else Application
Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``, gcloud, or the metadata server).
:func:`check_credentials` validates the first two without the network or any Google library, so that
``instrument()`` fails at once on a bad file; gspread and google-auth are imported only by
:func:`open_client`, on the background worker.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...exceptions import WriterError

if TYPE_CHECKING:
    from ..._config import Settings

__all__ = ["DEFAULT_ENDPOINT", "SCOPES", "Credentials", "check_credentials", "explain_api_error", "open_client"]

DEFAULT_ENDPOINT = "https://sheets.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
HTTP_TIMEOUT: tuple[float, float] = (10.0, 60.0)
"""(connect, read) seconds for every request to Google; the worker thread, never the app, waits."""

_SETUP_HINT = "see docs/sheets.md: create a service account, download its JSON key, share the sheet with its email"


@dataclass(frozen=True)
class Credentials:
    """Where the credentials come from: a parsed service-account ``info`` dict, or ADC (``info is None``)."""

    info: dict[str, Any] | None
    origin: str

    @property
    def client_email(self) -> str | None:
        return self.info.get("client_email") if self.info else None


def _parse(text: str, origin: str) -> dict[str, Any]:
    try:
        info = json.loads(text)
    except ValueError as exc:
        raise WriterError(f"{origin} is not valid JSON ({exc}); {_SETUP_HINT}") from None
    if not isinstance(info, dict):
        raise WriterError(f"{origin} is not a JSON object; {_SETUP_HINT}")
    kind = info.get("type")
    if kind != "service_account":
        raise WriterError(
            f"{origin} is not a service-account key (type is {kind!r}, expected 'service_account'); "
            "for your own user credentials leave credentials_path unset and use "
            f"`gcloud auth application-default login`; {_SETUP_HINT}"
        )
    missing = [key for key in ("client_email", "private_key", "token_uri") if not info.get(key)]
    if missing:
        raise WriterError(f"{origin} lacks {', '.join(missing)}: download a fresh JSON key for the service account")
    return info


def check_credentials(settings: Settings) -> Credentials:
    """Read and validate the configured credentials (no network, no Google import).

    Raises:
        WriterError: the file is missing, unreadable, not JSON, or not a service-account key.
    """
    if settings.credentials_json:
        return Credentials(_parse(settings.credentials_json, "HILT_CREDENTIALS_JSON"), "HILT_CREDENTIALS_JSON")
    if settings.credentials_path:
        path = Path(settings.credentials_path).expanduser()
        origin = f"credentials file {str(path)!r}"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise WriterError(f"{origin} does not exist; {_SETUP_HINT}") from None
        except OSError as exc:
            raise WriterError(f"{origin} cannot be read ({exc.strerror or exc}); check its permissions") from None
        except UnicodeDecodeError:
            raise WriterError(f"{origin} is not a JSON text file; {_SETUP_HINT}") from None
        return Credentials(_parse(text, origin), origin)
    return Credentials(None, "Application Default Credentials")


def _rewrite_adapter(endpoint: str) -> Any:
    from requests.adapters import HTTPAdapter

    base = endpoint.rstrip("/")

    class EndpointAdapter(HTTPAdapter):
        """Sends requests gspread addresses to ``https://sheets.googleapis.com`` to ``endpoint`` instead."""

        def send(self, request: Any, **kwargs: Any) -> Any:
            if request.url.startswith(DEFAULT_ENDPOINT):
                request.url = base + request.url[len(DEFAULT_ENDPOINT) :]
            return super().send(request, **kwargs)

    return EndpointAdapter()


def open_client(settings: Settings, credentials: Credentials) -> Any:
    """A gspread ``Client`` for ``credentials``, talking to ``settings.sheets_endpoint``.

    Raises:
        WriterError: Application Default Credentials are not configured.
    """
    import gspread

    scopes = list(SCOPES)
    if credentials.info is not None:
        client = gspread.service_account_from_dict(credentials.info, scopes=scopes)
    else:
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError

        try:
            creds, _ = google.auth.default(scopes=scopes)
        except DefaultCredentialsError as exc:
            raise WriterError(
                "no Google credentials: set credentials_path (HILT_CREDENTIALS_PATH) to a service-account key file, "
                f"or HILT_CREDENTIALS_JSON, or configure Application Default Credentials ({exc}); {_SETUP_HINT}"
            ) from None
        client = gspread.authorize(creds)
    client.http_client.set_timeout(HTTP_TIMEOUT)
    endpoint = (settings.sheets_endpoint or DEFAULT_ENDPOINT).rstrip("/")
    if endpoint != DEFAULT_ENDPOINT:
        client.http_client.session.mount(DEFAULT_ENDPOINT, _rewrite_adapter(endpoint))
    return client


def explain_api_error(exc: Any, sheet_id: str, credentials: Credentials) -> str | None:
    """A what-to-do message for errors that retrying will not fix (403, 404, 400, 401), else ``None``."""
    code = getattr(exc, "code", None)
    who = credentials.client_email
    share = f"share the sheet with {who} (Editor)" if who else "share the sheet with the account of your Application Default Credentials (Editor)"
    if code == 403:
        return f"Google Sheet {sheet_id!r} refused access (403): {share}, and enable the Google Sheets API for the project"
    if code == 404:
        return f"Google Sheet {sheet_id!r} not found (404): check sheet_id (the long id in the sheet's URL) and {share}"
    if code == 401:
        return f"Google rejected the credentials from {credentials.origin} (401): create a new key for the service account"
    if code == 400:
        return f"Google Sheets rejected a request for {sheet_id!r} (400: {exc}); the rows stay in the journal"
    return None


def credentials_error(exc: BaseException, credentials: Credentials) -> str | None:
    """A message for a refused token request (google-auth ``RefreshError``), else ``None`` (network problems are retried)."""
    try:
        from google.auth.exceptions import RefreshError
    except ImportError:  # pragma: no cover - google-auth missing
        return None
    if isinstance(exc, RefreshError):
        return f"Google refused the credentials from {credentials.origin} ({exc}); create a new key for the service account"
    return None


def gspread_available() -> bool:
    """True when the ``sheets`` extra (gspread, google-auth) is installed."""
    from importlib.util import find_spec

    return find_spec("gspread") is not None  # gspread depends on google-auth


def require_gspread() -> None:
    """Raise a clear :class:`WriterError` when gspread is missing."""
    if not gspread_available():
        raise WriterError("the Sheets backend needs gspread and google-auth: pip install 'hilt[sheets]'")

