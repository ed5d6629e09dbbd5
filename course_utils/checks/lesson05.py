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
    from ..inference import split_model

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


@exercise("05.3")
def _robust(answer) -> tuple[bool, str]:
    from huggingface_hub import InferenceClient
    from huggingface_hub.errors import HfHubHTTPError

    from ..inference import InferenceServer

    if not callable(answer):
        return False, "give a function robust_embed(client, text, model) that retries 429 and 503."
    token = "hf_check" + secrets.token_hex(8)
    with InferenceServer(tokens={token}) as server:
        client = InferenceClient(api_key=token)
        url = f"{server.url}/hf-inference/models/{LESSON05_EMBED_MODEL}/pipeline/feature-extraction"
        client.feature_extraction("warm up", model=url)  # load the model before timing anything
        start = len(server.requests)
        server.simulate(429, times=2, retry_after=0.4)
        try:
            vector = answer(client, "The lid broke after a week.", url)
        except Exception as exc:
            return False, f"after two 429s (Retry-After: 0.4) it raised {type(exc).__name__}: {exc}"
        times = [t for t, _, _ in server.requests[start:]]
        if getattr(vector, "shape", None) != (384,):
            return False, f"it should return the embedding (384 floats), got {type(vector).__name__}."
        if len(times) != 3:
            return False, f"expected 3 requests (429, 429, then success), the server saw {len(times)}."
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        if min(gaps) < 0.35:
            return False, f"it retried after {min(gaps):.2f} s, but Retry-After said 0.4 s: wait what it says."
        server.simulate(429, times=20, retry_after=0.05)
        begin = time.monotonic()
        try:
            answer(client, "again", url)
            return False, "with a server that keeps answering 429 it returned instead of raising."
        except HfHubHTTPError as exc:
            if exc.response.status_code != 429:
                return False, f"it raised HTTP {exc.response.status_code}; expected the last 429 to surface."
        if len(server.faults) == 0 or time.monotonic() - begin > 30:
            return False, "it kept retrying a server that always answers 429: stop after a few attempts."
        server.faults.clear()
        before = len(server.requests)
        try:
            answer(client, "x", url.replace(LESSON05_EMBED_MODEL, "nobody/no-such-model"))
            return False, "an unknown model (404) should raise."
        except HfHubHTTPError:
            pass
        if len(server.requests) - before != 1:
            return False, "it retried a 404: the same request will fail again, so retry only 429/5xx/timeouts."
    return True, "waits what Retry-After says, gives up after a few tries, and never retries a 404."
