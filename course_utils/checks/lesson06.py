"""Checkers for lesson 06's exercises. Each starts the servers it needs and works its expected answer out here."""

from __future__ import annotations

import contextlib
import json
import secrets
import time

from . import exercise

LESSON06_CHAT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"  # the lesson's model: the learner has it already
LESSON06_EMBED_MODEL = "all-minilm"  # Ollama's name for sentence-transformers/all-MiniLM-L6-v2
LESSON06_MESSAGES = [{"role": "user", "content": "Name one reason to run a model on your own machine."}]


def _call(fn, *args):
    """(result, None) or (None, the exception) when the learner's function raised."""
    try:
        return fn(*args), None
    except Exception as exc:  # noqa: BLE001 - any error is feedback, never a crashed checker
        return None, exc


def _raised(exc: Exception) -> str:
    return f"it raised {type(exc).__name__}: {exc}"


@exercise("06.1")
def _stream_and_count(answer) -> tuple[bool, str]:
    import httpx
    from openai import OpenAI

    from course_offline.inference import InferenceServer

    if not callable(answer):
        return False, "give a function stream_reply(client, model, messages, max_tokens) -> (text, tokens)."
    token = "hf_check" + secrets.token_hex(8)
    # Three tokens per chunk, as some servers batch their streams: counting chunks then undercounts.
    sent: list[dict] = []  # the JSON bodies the learner's function sent

    def record(request):
        with contextlib.suppress(ValueError):
            sent.append(json.loads(request.content or b"{}"))

    with InferenceServer(tokens={token}, tokens_per_chunk=3) as server, \
            httpx.Client(event_hooks={"request": [record]}, timeout=60) as http:
        client = OpenAI(base_url=server.url + "/v1", api_key=token, http_client=http)
        for max_tokens in (5, 12):
            # the course server decodes greedily by default, so the streamed reply must equal this one
            reference = client.chat.completions.create(model=LESSON06_CHAT_MODEL, messages=LESSON06_MESSAGES,
                                                       max_tokens=max_tokens)
            expected_text, expected_tokens = reference.choices[0].message.content, reference.usage.completion_tokens
            start = len(server.requests)
            sent.clear()
            got, error = _call(answer, client, LESSON06_CHAT_MODEL, LESSON06_MESSAGES, max_tokens)
            if error:
                return False, _raised(error)
            if len(server.requests) - start != 1:
                return False, f"it sent {len(server.requests) - start} requests; one streamed request is enough."
            if not (isinstance(got, (tuple, list)) and len(got) == 2):
                return False, f"return a pair (text, tokens), got {type(got).__name__}."
            body = sent[-1] if sent else {}
            if body.get("stream") is not True:
                return False, "the request was not streamed: pass stream=True and read the reply chunk by chunk."
            if not (body.get("stream_options") or {}).get("include_usage"):
                return False, ("the token count must come from the server: chunks are not tokens (this server sends "
                               "three per chunk), so pass stream_options={'include_usage': True} and read the last "
                               "chunk's usage.completion_tokens.")
            text, tokens = got
            if text != expected_text:
                return False, ("the text differs from the same request without streaming: join every chunk's "
                               "choices[0].delta.content (skip None; the last chunks have no choices).")
            if isinstance(tokens, bool) or not isinstance(tokens, int):
                return False, f"tokens should be an int, got {type(tokens).__name__}."
            if tokens != expected_tokens:
                return False, (f"tokens = {tokens}, but the server generated {expected_tokens}. Chunks are not "
                               "tokens (this server sends three per chunk): ask for stream_options="
                               "{'include_usage': True} and read the last chunk's usage.completion_tokens.")
    return True, "streamed text matches the unstreamed reply, and the token count comes from the server's usage."


@exercise("06.2")
def _two_backends(answer) -> tuple[bool, str]:
    from openai import OpenAI

    from course_offline.inference import InferenceServer

    from ..serving import transformers_serve

    if not callable(answer):
        return False, "give a function ask_any(base_url, api_key, model, question) -> str."
    token = "hf_check" + secrets.token_hex(8)
    question = "Say something short."
    with InferenceServer(tokens={token}) as router, transformers_serve(LESSON06_CHAT_MODEL) as served:
        backends = {"the course inference server (like the router)": (router.url + "/v1", token),
                    "transformers serve": (served.base_url, "unused")}
        for name, (base_url, key) in backends.items():
            reference = OpenAI(base_url=base_url, api_key=key).chat.completions.create(
                model=LESSON06_CHAT_MODEL, messages=[{"role": "user", "content": question}], max_tokens=8,
                temperature=0)
            got, error = _call(answer, base_url, key, LESSON06_CHAT_MODEL, question)
            if error:
                return False, f"against {name} {_raised(error)}"
            if not isinstance(got, str):
                return False, f"against {name} it returned {type(got).__name__}; return the reply's text."
            if got != reference.choices[0].message.content:
                return False, (f"against {name} the reply differs from a greedy reply of 8 tokens: use "
                               "max_tokens=8 and temperature=0, and return choices[0].message.content unchanged "
                               "(don't strip or edit it: the checker compares the text exactly).")
    return True, "one function, two servers: only base_url and api_key changed."


@exercise("06.3")
def _embed_with_retry(answer) -> tuple[bool, str]:
    import ollama

    from course_offline.inference import InferenceServer

    if not callable(answer):
        return False, "give a function embed_with_retry(client, model, text) that retries 429 and 503."
    with InferenceServer(tokens=None) as server:
        client = ollama.Client(host=server.url)
        client.pull(LESSON06_EMBED_MODEL)

        def attempt(text, model=LESSON06_EMBED_MODEL, queue=()):
            server.faults.clear()
            for status, times in queue:
                server.simulate(status, times=times)
            start = len(server.requests)
            result, error = _call(answer, client, model, text)
            server.faults.clear()
            return result, error, [t for t, _, _ in list(server.requests)[start:]]

        result, error, times = attempt("The lid broke after a week.", queue=[(429, 2)])
        if error:
            return False, f"after two 429s {_raised(error)}"
        vectors = getattr(result, "embeddings", result)
        if not (isinstance(vectors, list) and vectors and len(vectors[0]) == 384):
            return False, "return what client.embed(...) returned (its .embeddings hold one 384-float vector)."
        if len(times) != 3:
            return False, f"expected 3 requests (429, 429, then success); the server saw {len(times)}."
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        if min(gaps) < 0.05:
            return False, (f"it retried after {min(gaps) * 1e3:.0f} ms: hammering an overloaded server makes it worse; "
                           "wait between tries, longer each time (tenacity: wait_exponential).")
        result, error, times = attempt("Busy...", queue=[(503, 1)])
        if error:
            return False, f"after one 503 (server busy) {_raised(error)}: retry 503 as well as 429."
        if len(times) != 2 or not getattr(result, "embeddings", None):
            return False, (f"after one 503 expected 2 requests and the embedding; the server saw {len(times)} "
                           f"requests and the function returned {type(result).__name__}.")
        begin = time.monotonic()
        result, error, times = attempt("again", queue=[(429, 20)])
        if error is None:
            return False, "with a server that keeps answering 429 it returned instead of raising."
        if not (isinstance(error, ollama.ResponseError) and error.status_code == 429):
            return False, (f"with a server that keeps answering 429 {_raised(error)}; after the last try raise the "
                           "last ollama.ResponseError itself (tenacity: reraise=True), not a wrapper.")
        if len(times) > 5:
            return False, (f"it made {len(times)} attempts against a server that always answers 429: stop after "
                           "at most 5.")
        if time.monotonic() - begin > 30:
            return False, "it kept trying for over 30 s: cap the wait between tries (wait_exponential(max=...))."
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        if len(gaps) >= 2 and not gaps[-1] > gaps[0] * 1.2:
            return False, (f"the waits between tries did not grow ({', '.join(f'{g:.2f}' for g in gaps)} s): back "
                           "off exponentially (tenacity: wait_exponential), so a struggling server gets room.")
        result, error, times = attempt("x", model="no-such-model")
        if error is None:
            return False, "an unknown model (404) should raise."
        if len(times) != 1:
            return False, "it retried a 404: the same request fails again; retry only 429 and 503."
    return True, "retries 429 and 503 with growing waits, gives up after a few tries, never retries a 404."
