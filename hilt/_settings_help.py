"""What each HILT setting accepts and does, one entry per key of :data:`hilt._config.FIELDS`.

``python -m scripts.config_docs`` turns this table, the defaults of ``Settings()`` and the trust rules of
``hilt/_trust.py`` into the settings table of ``docs/configuration.md``; ``hilt-agent --help`` shows the
descriptions next to the flags. ``hilt._config`` never imports this module: the agent loads that one at
interpreter start-up, and these strings are needed only for help and documentation.

Each entry is ``(accepted values, description)``, in Markdown. Links are relative to ``docs/``.
"""

from __future__ import annotations

__all__ = ["SETTINGS_HELP", "description", "plain"]

_BOOL = "boolean"
_SECONDS = "seconds, a number ≥ 0"
_PATH = "a file path (`~` expanded)"

SETTINGS_HELP: dict[str, tuple[str, str]] = {
    "backend": (
        "`local` (alias `jsonl`), `sheets`, `otlp`: one name, a TOML array, or a comma list in env (`local,otlp`)",
        "Where events go, in this order: `local` is the JSONL file, `sheets` a Google Sheet ([Google Sheets](sheets.md)), "
        "`otlp` an OpenTelemetry endpoint ([OpenTelemetry](opentelemetry.md)).",
    ),
    "filepath": (
        _PATH,
        "The JSONL log file. Unset: `hilt.jsonl` in the per-user log folder ([below](#the-default-log-file)).",
    ),
    "capture_content": (
        "`full` (default), `metadata` or `hash`; `true`/`false` mean full/metadata",
        "What text is recorded: `full` keeps prompts and replies; `metadata` keeps no text anywhere (tokens, cost, "
        "latency, status, ids, model and non-content parameters only, error messages too); `hash` replaces each text "
        "by a keyed hash so equal prompts still group ([privacy](privacy.md#capture-modes)). An untrusted project file "
        "may lower it, never raise it.",
    ),
    "max_field_chars": (
        "a whole number ≥ 1000, or `0` (no limit)",
        "The longest text kept per captured field; a longer one is cut and says how long it was "
        "([events](events.md#size-limits)).",
    ),
    "sheet_id": ("the id in the sheet's URL", "The Google Sheet the `sheets` backend appends to."),
    "credentials_path": (_PATH, "The service-account JSON key file of the `sheets` backend."),
    "credentials_json": (
        "the service-account JSON as text (as an `instrument()` argument, also a dict)",
        "The service-account key itself, for hosts without a key file. Error messages and `hilt-agent --info` never show it.",
    ),
    "worksheet_name": ("a worksheet (tab) name", "The worksheet rows are appended to; HILT creates it when it is missing."),
    "columns": (
        "column names: a TOML array, or a comma list in env",
        "The Sheets columns, in this order ([Google Sheets](sheets.md#4-columns-and-privacy)). Unset: every column.",
    ),
    "sheets_endpoint": (
        "an `https://` URL (plain `http://` only to a loopback host: `127.0.0.0/8`, `::1`, `localhost`)",
        "The base URL of the Google Sheets API (a proxy, or a test server).",
    ),
    "flush_interval": (_SECONDS, "The `sheets` backend sends its batched rows at most once per interval."),
    "journal_path": (
        _PATH,
        "The `sheets` backend's local journal: every event, in HILT's JSONL format, written before it is sent "
        "([Google Sheets](sheets.md#3-the-journal-the-checkpoint-and-catch-up)). Unset: `filepath` if you set it, else "
        "one file per sheet in the per-user state folder.",
    ),
    "shutdown_timeout": (
        _SECONDS,
        "How long HILT waits at exit (and in `uninstrument()`) for Sheets rows and OpenTelemetry spans still being "
        "sent; unsent Sheets rows stay in the journal for the next run.",
    ),
    "prices": (
        "a table model → `{input, output, cached_input}`, USD per million tokens (JSON in env)",
        "Your own prices; they win over the genai-prices data ([quickstart](quickstart.md#prices)).",
    ),
    "propagate": (
        _BOOL,
        "Agent only (`HILT_ENABLED=1`, `hilt-agent`): child processes inherit the agent. `false` removes "
        "`HILT_ENABLED` from the environment once the agent has started.",
    ),
    "strict": (
        _BOOL,
        "Agent only: a configuration problem at start-up stops the program with exit status 78, instead of one "
        "warning line and an uninstrumented run.",
    ),
    "debug": (
        _BOOL,
        "Agent only: HILT's debug log lines on stderr, and a traceback with a start-up warning.",
    ),
    "stream_usage": (
        _BOOL,
        "Ask for usage on streamed Chat Completions calls that did not: **the one setting that changes the request "
        "body** ([integrations](integrations.md#usage-in-streams-stream_usage)).",
    ),
    "dashboard": (
        _BOOL,
        "Sheets backend: add the `Dashboard` worksheet (formulas and charts over the log worksheet) once, in the "
        "background; `hilt sheets dashboard` does it on demand ([Google Sheets](sheets.md)). Not from an untrusted project file.",
    ),
    "sample_rate": (
        "a number from 0 to 1",
        "The share of conversations logged, decided from the conversation id the same way in every process; failed "
        "calls are always logged and `hilt logs stats` scales counts back up ([privacy](privacy.md#sampling)). "
        "Trusted sources only.",
    ),
    "metadata": (
        "a TOML table, or a JSON object in `HILT_METADATA`, of string, number or boolean values",
        "Compliance labels (a legal basis, a retention class) written to `extensions.metadata` of every prompt, "
        "completion and error event, under each conversation's own, and sent to OpenTelemetry and Sheets ([privacy](privacy.md#compliance-metadata)). "
        "Trusted sources only.",
    ),
    "rotate": (
        '`"daily"` (midnight UTC) or a size: `"100 MB"`, `"500KB"`, `"1 GiB"` (KB = 1000, KiB = 1024)',
        "Start a new JSONL file at that size or each day; the rotated file is renamed next to the log "
        "(`app.jsonl.20261130T051200Z`, 0600) and readers take the set as one log ([retention](privacy.md#retention)). "
        "Off by default; not from an untrusted project file.",
    ),
    "compress": (_BOOL, "Gzip rotated files in the background (needs `rotate`); not from an untrusted project file."),
    "retention_days": (
        "a whole number of days ≥ 1",
        "After each rotation, remove this log's rotated files older than that (needs `rotate`); "
        "`hilt logs prune` does it on demand. Not from an untrusted project file.",
    ),
    "integrity": (
        _BOOL,
        "The audit trail: chain every line of the JSONL log with a keyed hash (the key in your state folder) so "
        "`hilt logs verify` finds edited, removed, inserted or reordered lines and removed files "
        "([privacy](privacy.md#audit-trail)). Costs about 11 µs per event. Not from an untrusted project file.",
    ),
    "redact": (
        "built-in names (`email`, `phone`, `card`, `iban`, `ip`, `secrets`), `\"module:function\"` paths, or functions "
        "from code; a TOML array or `email,card` in env",
        "Redactors run over every recorded text and parameter before any writer sees the event; each match becomes a "
        "typed marker such as `[EMAIL]` and `extensions.redactions` counts them ([privacy](privacy.md#redaction)). An "
        "untrusted project file may only add built-in names to yours.",
    ),
}


def description(key: str) -> str:
    """The description of setting ``key`` (Markdown); empty when it has none yet."""
    return SETTINGS_HELP.get(key, ("", ""))[1]


def plain(markdown: str) -> str:
    """``markdown`` as terminal text: a link in parentheses goes, another becomes its label; so do backquotes and bold marks."""
    import re

    text = re.sub(r" ?\(\[[^\]]+\]\([^)]+\)\)", "", markdown)
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    return text.replace("`", "").replace("**", "")
