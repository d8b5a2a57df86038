"""``hilt logs`` benchmark on a generated log of 1,000,000 events (about 1 GB).

Targets (issue 11): ``stats`` ≤ 5 s with ≤ 200 MB of memory on the base install, ``export --to parquet``
and ``report`` ≤ 20 s (the page ≤ 10 MB), ``tail -n 20`` and ``show`` ≤ 1 s. Every command runs as a subprocess (``python -m hilt.cli``),
as a user would run it. Printed: wall time, CPU time of the command and its workers (on a shared machine
the fairer number), and the largest resident set size among the processes (``stats`` forks up to 4 workers
for a large file: each one's peak, not their sum).

Usage: python -m benchmarks.logs [--events 1000000] [--keep DIR] [--skip-export]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson

MODELS = (("gpt-4o-mini", 0.15, 0.6), ("gpt-4o", 2.5, 10.0), ("gpt-4.1-nano", 0.1, 0.4), ("my-finetune", None, None))
USERS = ("alice", "bob", "carol", "dave", None)
TAGS = (["support"], ["search", "beta"], [], ["batch"])
WORDS = (
    "the quick brown fox jumps over a lazy dog while models answer questions about travel, code, "
    "cooking and the weather in Lisbon, Paris and Tokyo"
).split()


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _provenance(run_id: str) -> dict[str, object]:
    return {
        "source": "hilt",
        "endpoint": "chat.completions.create",
        "pid": 4242,
        "ppid": 1,
        "run_id": run_id,
        "hilt": "0.1.0",
        "sdk": "openai",
        "sdk_version": "2.8.0",
        "server": "api.openai.com",
    }


def _pair(rng: random.Random, moment: datetime, conversation: str, history: list, run_id: str) -> tuple[dict, dict]:
    model, price_in, price_out = rng.choice(MODELS)
    user, tags = rng.choice(USERS), rng.choice(TAGS)
    question = _text(rng, rng.randint(8, 40))
    history.append({"role": "user", "content": question})
    del history[:-4]  # keep prompt lines near 1 KB on average
    prompt_id = str(uuid.UUID(int=rng.getrandbits(128)))
    extensions: dict[str, object] = {"model": model, "stream": False, "params": {"model": model, "temperature": 0.2}}
    if user:
        extensions["user"] = user
    if tags:
        extensions["tags"] = tags
    prompt = {
        "hilt_version": "1.0.0",
        "event_id": prompt_id,
        "timestamp": moment.isoformat(),
        "session_id": conversation,
        "actor": {"type": "human", "id": user or "user"},
        "action": "prompt",
        "content": {"text": question, "messages": list(history)},
        "provenance": _provenance(run_id),
        "extensions": extensions,
    }
    latency = int(rng.lognormvariate(6.5, 0.6))
    done = moment + timedelta(milliseconds=latency)
    reply_ext: dict[str, object] = {
        "reply_to": prompt_id,
        "model": model,
        "latency_ms": latency,
        "request_id": "req_" + uuid.UUID(int=rng.getrandbits(128)).hex,
    }
    if user:
        reply_ext["user"] = user
    if tags:
        reply_ext["tags"] = tags
    if rng.random() < 0.03:
        reply_ext.update(
            status_code=429, status="error", error_type="RateLimitError", error_message="Rate limit reached"
        )
        reply = {
            "hilt_version": "1.0.0",
            "event_id": str(uuid.uuid4()),
            "timestamp": done.isoformat(),
            "session_id": conversation,
            "actor": {"type": "system", "id": "openai"},
            "action": "system",
            "content": {"text": "RateLimitError: Rate limit reached"},
            "metrics": {"latency_ms": latency},
            "provenance": _provenance(run_id),
            "extensions": reply_ext,
        }
        return prompt, reply
    answer = _text(rng, rng.randint(10, 60))
    history.append({"role": "assistant", "content": answer})
    tokens = {
        "prompt": rng.randint(20, 900),
        "completion": rng.randint(5, 400),
        "cached": rng.choice((0, 0, 128)),
        "reasoning": 0,
    }
    tokens["total"] = tokens["prompt"] + tokens["completion"]
    cost = None if price_in is None else (tokens["prompt"] * price_in + tokens["completion"] * price_out) / 1e6
    metrics: dict[str, object] = {"tokens": tokens, "cost_usd": cost, "latency_ms": latency}
    if rng.random() < 0.4:
        metrics["ttft_ms"] = round(latency * rng.uniform(0.1, 0.5), 3)
    reply_ext.update(
        status_code=200,
        status="ok",
        response_id="chatcmpl-" + uuid.UUID(int=rng.getrandbits(128)).hex[:24],
        finish_reasons=["stop"],
    )
    if cost is None:
        reply_ext["cost_status"] = "unknown_model"
    reply = {
        "hilt_version": "1.0.0",
        "event_id": str(uuid.uuid4()),
        "timestamp": done.isoformat(),
        "session_id": conversation,
        "actor": {"type": "agent", "id": "openai", "name": model},
        "action": "completion",
        "content": {"text": answer},
        "metrics": metrics,
        "provenance": _provenance(run_id),
        "extensions": reply_ext,
    }
    return prompt, reply


def generate_log(path: Path, events: int, seed: int = 11) -> int:
    """Write ``events`` events (prompt/completion pairs in conversations of 1–8 turns over 30 days); return bytes."""
    rng = random.Random(seed)
    start = datetime(2026, 10, 31, tzinfo=timezone.utc)
    step = timedelta(days=30) / max(1, events // 2)
    run_id = "run_" + uuid.UUID(int=rng.getrandbits(128)).hex
    written, moment = 0, start
    with open(path, "wb", buffering=1 << 20) as out:
        while written < events:
            conversation = "conv_" + uuid.UUID(int=rng.getrandbits(128)).hex
            history: list = [{"role": "system", "content": "You are a helpful assistant."}]
            for _ in range(rng.randint(1, 8)):
                if written >= events:
                    break
                prompt, reply = _pair(rng, moment, conversation, history, run_id)
                out.write(orjson.dumps(prompt) + b"\n" + orjson.dumps(reply) + b"\n")
                written += 2
                moment += step
    return path.stat().st_size


def run(args: list[str], label: str) -> tuple[float, float, str]:
    """Run ``python -m hilt.cli ARGS``; return seconds, peak RSS of the child in MB, and stdout."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "hilt.cli", *args], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime - cpu_before
    if done.returncode != 0:
        raise SystemExit(f"{label} failed ({done.returncode}): {done.stderr}")
    note = "" if peak_mb > before / 1024 else " (peak not above an earlier child's)"
    print(
        f"{label:<22} {seconds:7.2f} s wall {cpu:7.2f} s CPU (all processes)   peak RSS {peak_mb:6.0f} MB{note}",
        flush=True,
    )
    return seconds, peak_mb, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keep", help="generate into (or reuse) this folder instead of a temporary one")
    parser.add_argument("--skip-export", action="store_true", help="skip export --to parquet (needs hilt[analytics])")
    parser.add_argument("--skip-report", action="store_true", help="skip report (needs hilt[report])")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="hilt-logs-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"events-{args.events}.jsonl"
    if not log.exists():
        start = time.perf_counter()
        size = generate_log(log, args.events)
        print(f"generated {args.events:,} events, {size / 1e6:,.0f} MB in {time.perf_counter() - start:.1f} s")
    else:
        print(f"reusing {log} ({log.stat().st_size / 1e6:,.0f} MB)")
    try:
        run(["logs", "stats", str(log), "--json"], "stats")
        run(["logs", "stats", str(log), "--by", "model", "--json"], "stats --by model")
        _, _, tail = run(["logs", "tail", "-n", "20", str(log), "--json"], "tail -n 20")
        conversation = orjson.loads(tail.splitlines()[-1])["conversation_id"]
        run(["logs", "show", conversation[:14], str(log)], "show (prefix)")
        run(["logs", "show", "--last", str(log)], "show --last")
        if not args.skip_export:
            run(
                ["logs", "export", str(log), "--to", "parquet", "-o", str(folder / "events.parquet")],
                "export --to parquet",
            )
        if not args.skip_report:
            run(["logs", "report", str(log), "-o", str(folder / "report.html")], "report")
            print(f"{'report size':<22} {(folder / 'report.html').stat().st_size / 1e6:7.1f} MB")
    finally:
        if not args.keep:
            for item in folder.iterdir():
                item.unlink()
            folder.rmdir()


if __name__ == "__main__":
    os.environ.pop("HILT_ENABLED", None)
    main()
