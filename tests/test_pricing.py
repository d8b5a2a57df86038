"""PriceBook: genai-prices rates by response model then request model, cached tokens, overrides, unknowns."""

from __future__ import annotations

import pytest

from hilt.pricing import ModelRates, PriceBook, Priced

USAGE = {"prompt": 1000, "completion": 500, "total": 1500}


def test_gpt_4o_mini_price() -> None:
    """gpt-4o-mini, 1000 input and 500 output tokens, costs 1000*0.15/1M + 500*0.60/1M = 0.00045 USD."""
    assert PriceBook().price(("gpt-4o-mini",), USAGE) == Priced(0.00045, "ok", "gpt-4o-mini")


def test_cached_tokens_are_priced_at_the_cached_rate() -> None:
    """400 of the 1000 input tokens cached (0.075/1M) bring the cost down to 0.00042 USD."""
    priced = PriceBook().price(("gpt-4o-mini",), {**USAGE, "cached": 400})
    assert priced == Priced(0.00042, "ok", "gpt-4o-mini")


def test_reasoning_tokens_are_not_charged_twice() -> None:
    """Reasoning tokens are part of the completion count and do not change the price."""
    assert PriceBook().price(("gpt-4o-mini",), {**USAGE, "reasoning": 300}).cost_usd == 0.00045


def test_dated_response_model_resolves() -> None:
    """The dated snapshot name gpt-4o-mini-2024-07-18 has gpt-4o-mini's price."""
    assert PriceBook().price(("gpt-4o-mini-2024-07-18",), USAGE) == Priced(0.00045, "ok", "gpt-4o-mini-2024-07-18")


def test_response_model_first() -> None:
    """When both are known, the response model's price is used, not the request model's."""
    priced = PriceBook().price(("gpt-4o-2024-08-06", "gpt-4o-mini"), USAGE)
    # gpt-4o: 1000 * 2.50/1M + 500 * 10.00/1M
    assert priced == Priced(0.0075, "ok", "gpt-4o-2024-08-06")


def test_request_model_is_the_fallback() -> None:
    """An unknown (or missing) response model falls back to the request model."""
    book = PriceBook()
    assert book.price(("my-proxy-model-v9", "gpt-4o-mini"), USAGE) == Priced(0.00045, "ok", "gpt-4o-mini")
    assert book.price((None, "gpt-4o-mini"), USAGE) == Priced(0.00045, "ok", "gpt-4o-mini")


def test_unknown_model_has_no_price() -> None:
    """A model no one knows gives cost None and status unknown_model, never a guessed price."""
    book = PriceBook()
    assert book.price(("no-such-model-xyz",), USAGE) == Priced(None, "unknown_model")
    assert book.price(("no-such-model-xyz", "also-unknown"), USAGE) == Priced(None, "unknown_model")
    assert book.price((None, None), USAGE) == Priced(None, "unknown_model")


def test_no_usage() -> None:
    """Without prompt or completion counts there is nothing to price: status no_usage."""
    assert PriceBook().price(("gpt-4o-mini",), {}) == Priced(None, "no_usage")
    assert PriceBook().price(("gpt-4o-mini",), {"total": 10}) == Priced(None, "no_usage")


def test_override_wins_over_price_data() -> None:
    """A user price (USD per million tokens) for a known model replaces the library's price."""
    book = PriceBook({"gpt-4o-mini": {"input": 1.0, "output": 2.0}})
    # 1000 * 1.0/1M + 500 * 2.0/1M
    assert book.price(("gpt-4o-mini",), USAGE) == Priced(0.002, "ok", "gpt-4o-mini")


def test_override_keyed_by_request_model_wins_over_dated_response_model() -> None:
    """An override for the requested alias applies even though the response names a dated snapshot."""
    book = PriceBook({"gpt-4o-mini": {"input": 1.0, "output": 2.0}})
    assert book.price(("gpt-4o-mini-2024-07-18", "gpt-4o-mini"), USAGE) == Priced(0.002, "ok", "gpt-4o-mini")


def test_override_prices_an_unknown_model_with_cached_rate() -> None:
    """An override prices a private model, cached tokens at cached_input (default: the input rate)."""
    book = PriceBook({"acme-llm": {"input": 2, "output": 4, "cached_input": 0.5},
                      "acme-small": ModelRates(input=1.0, output=1.0)})
    # 600 * 2/1M + 400 * 0.5/1M + 500 * 4/1M
    assert book.price(("acme-llm",), {**USAGE, "cached": 400}) == Priced(0.0034, "ok", "acme-llm")
    # no cached rate: cached tokens cost the input rate
    assert book.price(("acme-small",), {**USAGE, "cached": 400}) == Priced(0.0015, "ok", "acme-small")


@pytest.mark.parametrize(
    "table",
    [
        {"input": 1.0},
        {"input": 1.0, "output": 2.0, "per_call": 0.1},
        {"input": "cheap", "output": 2.0},
        {"input": -1.0, "output": 2.0},
        {"input": None, "output": 2.0},
        0.15,
        [1.0, 2.0],
    ],
    ids=["missing-output", "unknown-key", "not-a-number", "negative", "null", "a-number", "a-list"],
)
def test_bad_override_table_names_the_model(table: object) -> None:
    """An override that is not a table of input/output rates >= 0 raises ValueError naming the model."""
    with pytest.raises(ValueError, match=r"prices\['acme-llm'\]: expected a table with 'input' and 'output'"):
        PriceBook({"acme-llm": table})  # type: ignore[dict-item]


def test_embedding_model_priced_at_its_input_rate():
    """An embedding model has no output price: its input tokens are priced, not reported unknown."""
    from hilt.pricing import PriceBook

    priced = PriceBook().price(("text-embedding-3-small",), {"prompt": 1000, "total": 1000})
    assert (priced.status, priced.cost_usd) == ("ok", pytest.approx(0.00002))


USAGES = [
    {"prompt": 1000, "completion": 500, "total": 1500, "cached": 400},
    {"prompt": 300_000, "completion": 2000, "total": 302_000, "cached": 100_000, "cache_write": 1000},  # past volume tiers
]


def test_compact_table_prices_every_openai_model_like_genai_prices() -> None:
    """For every OpenAI model with a token price (and a few aliases), the compact table gives genai-prices' own total."""
    import genai_prices
    from genai_prices import data_snapshot

    from hilt._price_table import load_price_table
    from hilt.pricing import _TableRates

    table = load_price_table()  # genai-prices is imported here, so the table leaves it in place
    names = [model.id for model in data_snapshot.get_snapshot().find_provider(None, "openai", None).models]
    names += ["gpt-4o-mini-20240718", "GPT-4O", "o3-mini-2025-01-31", "no-such-model-xyz"]
    checked = 0
    for name in names:
        for tokens in USAGES:
            usage = genai_prices.Usage(
                input_tokens=tokens["prompt"], cache_read_tokens=tokens["cached"],
                cache_write_tokens=tokens.get("cache_write", 0), output_tokens=tokens["completion"],
            )
            try:
                expected = float(genai_prices.calc_price(usage, name, provider_id="openai").total_price)
            except LookupError:
                assert table.find(name) is None, name
                continue
            rates = table.find(name)
            if rates is None:  # a model without a token price (audio hours...) is unknown to HILT
                assert expected == 0, name
                continue
            assert _TableRates(rates).cost(tokens) == pytest.approx(expected, rel=1e-9, abs=1e-12), (name, tokens)
            checked += 1
    assert checked >= 150  # models x usages compared: 188 with the genai-prices that Python 3.10 gets, 200+ later


def test_price_table_keeps_the_garbage_collector_light() -> None:
    """Loading the prices in a fresh process (openai already imported) adds under 6,000 objects the GC tracks
    (the whole genai-prices data set was about 20,000; some 3,200 of what remains is httpx, which genai-prices
    imports), and genai-prices itself is let go."""
    import subprocess
    import sys

    code = (
        "import gc, openai, hilt.pricing as p\n"
        "gc.collect(); before = len(gc.get_objects())\n"
        "assert p.wait_for_prices(60)\n"
        "gc.collect(); print(len(gc.get_objects()) - before, 'genai_prices' in __import__('sys').modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) < 6000
    assert out[1] == "False"


def test_cached_table_copy_is_read_without_genai_prices(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """With a current copy in the cache folder, the price data is ready at once (no loading thread), 0600."""
    import threading

    from hilt import pricing
    from hilt._price_table import cache_path, load_price_table, save_price_table

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    save_price_table(load_price_table())
    assert cache_path().stat().st_mode & 0o777 == 0o600
    library = pricing._Library()
    threads = threading.active_count()
    library.start()
    assert (library.status, threading.active_count()) == ("ok", threads)
    monkeypatch.setattr(pricing, "_library", library)
    assert PriceBook().price(("gpt-4o-mini",), USAGE) == Priced(0.00045, "ok", "gpt-4o-mini")


def test_each_genai_prices_install_keeps_its_own_table_copy(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Two virtualenvs used in turn each find their own copy (one shared file made each reload genai-prices)."""
    from hilt import _price_table
    from hilt._price_table import cache_path, load_price_table, read_cached_price_table, save_price_table

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    table = load_price_table()
    keys = {name: f"hilt 0.1.0; /venvs/{name}/genai_prices/data.py; 10; 20" for name in ("a", "b")}
    for name in ("a", "b"):
        monkeypatch.setattr(_price_table, "_source_key", lambda name=name: keys[name])
        save_price_table(table)
    for name in ("a", "b"):
        monkeypatch.setattr(_price_table, "_source_key", lambda name=name: keys[name])
        assert read_cached_price_table() is not None
    assert cache_path("openai", keys["a"]) != cache_path("openai", keys["b"])


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[:50],  # truncated
        lambda text: text.replace('"key": "hilt', '"key": "other'),  # written for another genai-prices / HILT
        lambda text: text.replace('"saved_at": ', '"saved_at": 1'),  # in the future: not trusted
        lambda text: text.replace('"equals"', '"exec"'),  # an unknown rule
    ],
)
def test_a_bad_table_copy_is_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path, damage) -> None:
    """A damaged, foreign or odd copy is not used (the price data is loaded from genai-prices instead)."""
    from hilt._price_table import cache_path, load_price_table, read_cached_price_table, save_price_table

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    save_price_table(load_price_table())
    assert read_cached_price_table() is not None
    path = cache_path()
    path.write_text(damage(path.read_text()))
    assert read_cached_price_table() is None


def test_library_table_prices_like_the_compact_table() -> None:
    """The fallback for an unknown genai-prices layout (asking calc_price per model) gives the same rates."""
    import genai_prices

    from hilt._price_table import LibraryTable, load_price_table

    compact, library = load_price_table(), LibraryTable(genai_prices, "openai")
    for name in ("gpt-4o-mini", "gpt-4o-mini-2024-07-18", "gpt-4o", "text-embedding-3-small", "no-such-model-xyz"):
        assert library.find(name) == compact.find(name), name
