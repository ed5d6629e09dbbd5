"""Checkers for lesson 05's exercises. Each works its expected answer out here, on the learner's machine."""

from __future__ import annotations

import random
import secrets
import time

from . import as_index, exercise

# 05.2: which sentence is closest in meaning to the query (all-MiniLM-L6-v2, the real model)
LESSON05_EMBED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
LESSON05_QUERY = "The battery dies far too quickly."
LESSON05_SENTENCES = [
    "Delivery was quick and the box was intact.",
    "It needs charging twice a day, the charge just doesn't hold.",
    "The colour is nicer than in the photos.",
    "Customer service never answered my emails.",
]


@exercise("05.1")
def _split(answer) -> tuple[bool, str]:
    from course_offline.inference import split_model

    if not callable(answer):
        return False, "give a function: split_model_string('org/name:provider') -> ('org/name', 'provider')."
    rng = random.Random()
    cases = ["Qwen/Qwen2.5-7B-Instruct:together", "meta-llama/Llama-3.1-8B-Instruct", "openai/gpt-oss-20b:fastest",
             f"org-{rng.randint(0, 999)}/model-{rng.randint(0, 999)}:{rng.choice(['groq', 'novita', 'cheapest'])}",
             "gpt2"]
    for case in cases:
        expected = split_model(case)
        try:
            got = answer(case)
        except Exception as exc:
            return False, f"for {case!r} it raised {type(exc).__name__}: {exc}"
        got = tuple(got) if isinstance(got, (tuple, list)) else got
        if got != expected:
            hint = " (no suffix means the router chooses: 'auto')" if expected[1] == "auto" else ""
            return False, f"for {case!r} expected {expected!r}, got {got!r}{hint}."
    return True, "the part after the last ':' is the provider or a policy; without one the router picks ('auto')."


@exercise("05.2")
def _closest(answer) -> tuple[bool, str]:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.util import cos_sim

    model = SentenceTransformer(LESSON05_EMBED_MODEL, device="cpu")
    vectors = model.encode([LESSON05_QUERY, *LESSON05_SENTENCES])
    scores = cos_sim(vectors[:1], vectors[1:])[0].tolist()
    expected = max(range(len(scores)), key=scores.__getitem__)
    index = as_index(answer)
    if index is None:
        return False, "give the index (a plain int) of the closest sentence in LESSON05_SENTENCES."
    answer = index
    if answer == expected:
        return True, f"{LESSON05_SENTENCES[expected]!r}: cosine similarity {scores[expected]:.2f}, the highest."
    if 0 <= answer < len(scores):
        return False, (f"sentence {answer} scores {scores[answer]:.2f}; another scores higher. Call "
                       "sentence_similarity(query, sentences) and take the index of the largest score.")
    return False, f"{answer} is not an index of LESSON05_SENTENCES (0 to {len(scores) - 1})."


def _last_error_raised(exc: Exception, status: int, what: str) -> str | None:
    """None if `exc` is the HTTP error the server last answered, else feedback for the learner."""
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    if code is None:
        return (f"{what} it raised {type(exc).__name__}: after the last attempt raise the last error itself "
                "(tenacity: reraise=True), not a wrapper.")
    if code != status:
        return f"{what} it raised HTTP {code}; expected the last {status} to surface."
    return None


@exercise("05.3")
def _robust(answer) -> tuple[bool, str]:
    from huggingface_hub import InferenceClient

    from course_offline.inference import InferenceServer

    if not callable(answer):
        return False, "give a function robust_embed(client, text, model) that retries 429 and 503."
    token = "hf_check" + secrets.token_hex(8)
    with InferenceServer(tokens={token}) as server:
        client = InferenceClient(api_key=token)
        url = f"{server.url}/hf-inference/models/{LESSON05_EMBED_MODEL}/pipeline/feature-extraction"
        client.feature_extraction("warm up", model=url)  # load the model before timing anything

        def attempt(text: str, model: str = url, **faults):
            """Queue faults, call the answer; (result or exception, monotonic times of its requests)."""
            server.faults.clear()
            for status, retry_after, times in faults.get("queue", []):
                server.simulate(status, times=times, retry_after=retry_after)
            start = len(server.requests)
            try:
                result = answer(client, text, model)
            except Exception as exc:  # noqa: BLE001 - any error is feedback, never a crashed checker
                result = exc
            return result, [t for t, _, _ in list(server.requests)[start:]]

        # 1. two 429s with Retry-After, then success; the second Retry-After is longer than a fixed sleep
        result, times = attempt("The lid broke after a week.", queue=[(429, 0.2, 1), (429, 1.2, 1)])
        if isinstance(result, Exception):
            return False, f"after two 429s (with Retry-After) it raised {type(result).__name__}: {result}"
        if getattr(result, "shape", None) != (384,):
            return False, f"it should return the embedding (384 floats), got {type(result).__name__}."
        if len(times) != 3:
            return False, f"expected 3 requests (429, 429, then success), the server saw {len(times)}."
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        if gaps[0] < 0.15 or gaps[1] < 1.15:
            which = 0 if gaps[0] < 0.15 else 1
            said = (0.2, 1.2)[which]
            return False, (f"it retried after {gaps[which]:.2f} s, but Retry-After said {said} s: read the header "
                           "(retry_after_seconds) and wait what it says.")
        if gaps[0] >= 1.1:
            return False, (f"it waited {gaps[0]:.2f} s when Retry-After said 0.2 s: a fixed sleep ignores the "
                           "header; wait what the server asks.")
        # 2. a 503 (model loading) is retried too
        result, times = attempt("Loading, please wait.", queue=[(503, 0.3, 1)])
        if isinstance(result, Exception):
            return False, (f"after one 503 (model loading, Retry-After: 0.3) it raised {type(result).__name__}: "
                           f"{result}. Retry 503 as well as 429.")
        if len(times) != 2:
            return False, f"expected 2 requests (503, then success), the server saw {len(times)}."
        # 3. a server that always answers 429: give up after a few attempts, raising the last 429
        begin = time.monotonic()
        result, times = attempt("again", queue=[(429, 0.05, 20)])
        if not isinstance(result, Exception):
            return False, "with a server that keeps answering 429 it returned instead of raising."
        problem = _last_error_raised(result, 429, "with a server that keeps answering 429")
        if problem:
            return False, problem
        if len(times) > 5 or time.monotonic() - begin > 30:
            return False, (f"it made {len(times)} attempts against a server that always answers 429: stop after "
                           "a few (at most 5 attempts).")
        # 4. a 404 is not retried
        result, times = attempt("x", model=url.replace(LESSON05_EMBED_MODEL, "nobody/no-such-model"))
        if not isinstance(result, Exception):
            return False, "an unknown model (404) should raise."
        problem = _last_error_raised(result, 404, "for an unknown model")
        if problem:
            return False, problem
        if len(times) != 1:
            return False, "it retried a 404: the same request will fail again, so retry only 429/5xx/timeouts."
        server.faults.clear()
    return True, "waits what Retry-After says, retries 429 and 503, gives up after a few tries, never retries a 404."
