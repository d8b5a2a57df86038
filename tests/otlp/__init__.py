"""The otlp backend: spans and metrics over OTLP/HTTP, trace ids on JSONL events, backfill."""
