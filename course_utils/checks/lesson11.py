"""Checkers for lesson 11's exercises (the review summarizer app). Each works its expected answer out here."""

from __future__ import annotations

import os
import random

from . import exercise

LESSON11_HOSTED_MODEL = "Qwen/Qwen2.5-7B-Instruct"
LESSON11_PROVIDER = "together"


def _call(fn, *args):
    """(result, None) or (None, the exception) when the learner's function raised."""
    try:
        return fn(*args), None
    except Exception as exc:  # noqa: BLE001 - any error is feedback, never a crashed checker
        return None, exc


@exercise("11.1")
def _cache_key(answer) -> tuple[bool, str]:
    if not callable(answer):
        return False, "give a function my_cache_key(backend, model, messages, params) -> str."
    messages = [{"role": "system", "content": "Summarize."}, {"role": "user", "content": "(5/5) Great: it works"}]
    params = {"max_tokens": 64, "temperature": 0}
    base, error = _call(answer, "llama.cpp", "smollm2", messages, params)
    if error:
        return False, f"it raised {type(error).__name__}: {error}"
    if not isinstance(base, str) or not base:
        return False, f"it returned {type(base).__name__}; return a non-empty string (e.g. a hex digest)."
    again, _ = _call(answer, "llama.cpp", "smollm2", [dict(m) for m in messages], dict(params))
    if again != base:
        return False, "the same request gave two different keys: the key must depend only on the request."
    reordered, _ = _call(answer, "llama.cpp", "smollm2", [dict(reversed(m.items())) for m in messages],
                         dict(reversed(params.items())))
    if reordered != base:
        return False, ("the same dicts with their keys in another order gave another key: sort the keys "
                       "(json.dumps(..., sort_keys=True)).")
    changes = {
        "the backend": ("openai", "smollm2", messages, params),
        "the model": ("llama.cpp", "smollm2-360m", messages, params),
        "the system prompt": ("llama.cpp", "smollm2", [{**messages[0], "content": "Summarize!"}, messages[1]], params),
        "the reviews": ("llama.cpp", "smollm2", [messages[0], {**messages[1], "content": "(4/5) Great: it works"}],
                        params),
        "max_tokens": ("llama.cpp", "smollm2", messages, {**params, "max_tokens": 65}),
        "the seed": ("llama.cpp", "smollm2", messages, {**params, "seed": 1}),
    }
    for what, args in changes.items():
        other, error = _call(answer, *args)
        if error:
            return False, f"with another {what} it raised {type(error).__name__}: {error}"
        if other == base:
            return False, f"changing {what} left the key the same: every part of the request must be in the key."
    joined_a, _ = _call(answer, "ab", "c", messages, params)
    joined_b, _ = _call(answer, "a", "bc", messages, params)
    if joined_a == joined_b:
        return False, ("backend 'ab' + model 'c' and backend 'a' + model 'bc' gave the same key: joining strings "
                       "collides; hash one structure (a dict as JSON) instead.")
    return True, "the key is stable, order-independent, and changes with every part of the request."


@exercise("11.2")
def _backend(answer) -> tuple[bool, str]:
    """Feedback describes what is wrong and never echoes the learner's values: a swapped argument could put a token
    where the model or the URL belongs, and the notebook's output may be shared."""
    from ..summarizer import Backend, Summarizer, SummarizerError, hosted_price

    if not isinstance(answer, Backend):
        return False, f"give a Backend(name, base_url, model, api_key, input_usd_per_1m, output_usd_per_1m, " \
                      f"key_variable=...), not {type(answer).__name__}."
    url = os.environ.get("COURSE_INFERENCE_URL", "https://router.huggingface.co").rstrip("/") + "/v1"
    if not isinstance(answer.base_url, str) or answer.base_url.rstrip("/") != url:
        return False, f"base_url should be INFERENCE_URL + '/v1' ({url}); yours is something else (not echoed here)."
    if not isinstance(answer.model, str):
        return False, "model should be a string, the Hub id with ':provider'."
    model, sep, provider = answer.model.partition(":")
    if model == LESSON11_HOSTED_MODEL and not sep:
        return False, ("that is section 1's backend: the router chooses the provider, so the price is a guess. Pin "
                       f"the provider with the suffix: '{LESSON11_HOSTED_MODEL}:{LESSON11_PROVIDER}'.")
    if model != LESSON11_HOSTED_MODEL or provider != LESSON11_PROVIDER:
        what = "another model" if model != LESSON11_HOSTED_MODEL else "another provider"
        return False, f"model should be '{LESSON11_HOSTED_MODEL}:{LESSON11_PROVIDER}'; yours names {what}."
    if answer.key_variable != "HF_TOKEN":
        return False, "set key_variable='HF_TOKEN': the variable the key came from, so a 401 says which key to fix."
    expected = hosted_price(answer.model)
    if (answer.input_usd_per_1m, answer.output_usd_per_1m) != expected:
        return False, f"the prices should be lesson 07's for Together, {expected} USD per 1M tokens (input, " \
                      f"output), got {(answer.input_usd_per_1m, answer.output_usd_per_1m)}: use hosted_price(model)."
    try:
        result = Summarizer(answer, cache=None, max_tokens=2, attempts=2).summarize("(4/5) Good: it works well")
    except SummarizerError as exc:  # explain()'s sentences: never a key (they name the variable)
        return False, f"a request through it failed: {exc}"
    if result.cost_usd is None or result.cost_usd <= 0:
        return False, "the request worked but its cost came out as zero: check the prices."
    return True, f"it answered ({result.prompt_tokens} + {result.completion_tokens} tokens, " \
                 f"${result.cost_usd:.7f} at Together's listed price)."


def _reference_trim(text: str, max_chars: int) -> str | None:
    """The expected answer; None where InputError is expected."""
    kept: list[str] = []
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        if len("\n".join([*kept, line])) > max_chars:
            break
        kept.append(line)
    if not kept and text.strip():
        return None
    return "\n".join(kept)


@exercise("11.3")
def _trim(answer) -> tuple[bool, str]:
    from ..summarizer import InputError

    if not callable(answer):
        return False, "give a function trim_reviews(text, max_chars) -> str."
    rng = random.Random(11)
    words = "battery sound lid broke great quiet loud cheap sturdy arrived late works".split()
    cases = [("(5/5) A: b\n(1/5) C: d", 100), ("(5/5) A: b\n(1/5) C: d", 10), ("(5/5) A: b\n(1/5) C: d", 21),
             ("(5/5) A: b\n\n\n(1/5) C: d\n", 21), ("", 50), ("   \n ", 50), ("(3/5) Too long: " + "x" * 80, 40)]
    for _ in range(40):
        lines = [f"({rng.randint(1, 5)}/5) " + " ".join(rng.choices(words, k=rng.randint(1, 12)))
                 for _ in range(rng.randint(1, 8))]
        cases.append(("\n".join(lines), rng.randint(20, 300)))
    long_product = "\n".join(f"({rng.randint(1, 5)}/5) " + " ".join(rng.choices(words, k=30)) for _ in range(40))
    cases += [(long_product, 2000), (long_product, 6000)]  # product-sized: thousands of characters
    for text, limit in cases:
        expected = _reference_trim(text, limit)
        got, error = _call(answer, text, limit)
        if expected is None:
            if not isinstance(error, InputError):
                return False, (f"the first review is longer than max_chars={limit}: raise InputError, "
                               f"got {'a result' if error is None else type(error).__name__}.")
            continue
        if error:
            return False, f"trim_reviews({text[:40]!r}..., {limit}) raised {type(error).__name__}: {error}"
        if got != expected:
            return False, (f"trim_reviews({text[:40]!r}..., {limit}) gave {got!r}; expected {expected!r}: keep whole "
                           "lines from the top while they fit, drop blank lines.")
    return True, f"all {len(cases)} cases right."
