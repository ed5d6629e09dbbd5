"""Checkers for lesson 03 (running models directly). Each one runs the model itself to get the expected answer.

The exercises use the real SmolLM2-135M-Instruct as a plain language model, loaded in float32 as the lesson's
exercise cell loads it (bfloat16 gives slightly different probabilities, so samples could differ).
"""

from __future__ import annotations

from functools import lru_cache

from . import as_index, exercise

LESSON03_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
LESSON03_PROMPT = "Open models are useful because"
SAMPLE_NEW_TOKENS = 10  # exercise 03.2
GREEDY_NEW_TOKENS = 5  # exercise 03.3


@lru_cache(maxsize=1)
def _model_and_tokenizer():
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(LESSON03_MODEL)
    model = AutoModelForCausalLM.from_pretrained(LESSON03_MODEL, dtype=torch.float32).eval()
    return model, tokenizer


def _prompt_ids():
    model, tokenizer = _model_and_tokenizer()
    return tokenizer(LESSON03_PROMPT, return_tensors="pt")


def _as_ids(answer) -> list[int] | None:
    """A list of ints from a list, tuple or 1-D tensor (a [1, n] tensor is flattened); None if not ids."""
    if hasattr(answer, "tolist"):
        answer = answer.tolist()
    if isinstance(answer, (list, tuple)) and len(answer) == 1 and isinstance(answer[0], (list, tuple)):
        answer = answer[0]
    if not isinstance(answer, (list, tuple)):
        return None
    ids = [as_index(x) for x in answer]
    return None if any(i is None for i in ids) else ids


@lru_cache(maxsize=1)
def next_token_probabilities():
    """(next-token probabilities after LESSON03_PROMPT, the predicted distributions at every prompt position).
    Computed once: a forward pass is deterministic (read them, never change them in place)."""
    import torch

    model, _ = _model_and_tokenizer()
    with torch.no_grad():
        logits = model(**_prompt_ids()).logits
    return logits[0, -1].softmax(dim=-1), logits[0].softmax(dim=-1)


@exercise("03.1")
def _most_likely_token(answer) -> tuple[bool, str]:
    probs, all_positions = next_token_probabilities()
    expected = int(probs.argmax())
    _, tokenizer = _model_and_tokenizer()
    if isinstance(answer, str):
        return False, ("give the token id (an int), not its text: int(probs.argmax()); "
                       "tokenizer.decode([token_id]) turns it back into text.")
    token_id = as_index(answer)
    if token_id is None:
        return False, (f"got a {type(answer).__name__}; give one token id, an int (a 0-d tensor from argmax() "
                       "works too): int(probs.argmax()).")
    answer = token_id
    if answer == expected:
        return True, (f"token {expected} ({tokenizer.decode([expected])!r}) has probability "
                      f"{float(probs[expected]):.2%}, the highest.")
    if not 0 <= answer < probs.shape[0]:
        return False, f"{answer} is not a token id: ids run from 0 to {probs.shape[0] - 1}."
    earlier = [i for i in range(all_positions.shape[0] - 1) if int(all_positions[i].argmax()) == answer]
    if earlier:
        return False, ("that is the most likely token after an earlier position: the next token comes from "
                       "the last position, logits[0, -1].")
    return False, (f"token {answer} has probability {float(probs[answer]):.2%}, not the highest. "
                   "Take logits[0, -1], apply softmax, then argmax.")


def expected_sample(seed: int) -> list[int]:
    """The SAMPLE_NEW_TOKENS new ids the exercise model samples after LESSON03_PROMPT with `set_seed(seed)` and
    the other settings at their defaults."""
    from transformers import set_seed

    model, tokenizer = _model_and_tokenizer()
    inputs = _prompt_ids()
    set_seed(seed)
    out = model.generate(**inputs, do_sample=True, max_new_tokens=SAMPLE_NEW_TOKENS,
                         pad_token_id=tokenizer.eos_token_id)
    return out[0, inputs["input_ids"].shape[1]:].tolist()


@exercise("03.2")
def _repeatable_sampling(answer) -> tuple[bool, str]:
    import torch

    if not callable(answer):
        return False, "give a function: def sample(seed): ... return the new token ids; then answer_03_2 = sample."
    runs = {}
    for seed, disturb in ((7, 1234), (7, 98765), (8, 5), (9, 6)):
        torch.manual_seed(disturb)  # a function that does not seed itself would now give a different sample
        try:
            ids = _as_ids(answer(seed))
        except Exception as exc:  # a learner's bug: report it as a hint, not a crash
            return False, f"calling your function with seed={seed} raised {type(exc).__name__}: {exc}"
        if ids is None:
            return False, "return the new token ids as a list of ints, e.g. out[0, prompt_length:].tolist()."
        runs.setdefault(seed, []).append(ids)
    if runs[7][0] != runs[7][1]:
        return False, "the same seed gave two different samples: call set_seed(seed) inside the function, " \
                      "right before generate()."
    if runs[7][0] == runs[8][0] == runs[9][0]:
        return False, "seeds 7, 8 and 9 gave the same output: that is greedy decoding. Sample with do_sample=True."
    expected = expected_sample(7)
    if runs[7][0] != expected:
        if len(runs[7][0]) == len(expected) + _prompt_ids()["input_ids"].shape[1]:
            return False, "return only the new tokens: slice off the prompt, out[0, prompt_length:]."
        return False, (f"repeatable, but not what {LESSON03_MODEL} samples with set_seed(seed), do_sample=True and "
                       f"max_new_tokens={SAMPLE_NEW_TOKENS} (other settings left at their defaults), loaded in "
                       "float32 as the exercise cell loads it.")
    return True, "the same seed gives the same sample, and different seeds give different ones."


def expected_greedy() -> list[int]:
    """The GREEDY_NEW_TOKENS new ids greedy generate() gives after LESSON03_PROMPT."""
    return list(_greedy_ids())


@lru_cache(maxsize=1)
def _greedy_ids() -> tuple[int, ...]:  # greedy decoding is deterministic: generate once per process
    model, tokenizer = _model_and_tokenizer()
    inputs = _prompt_ids()
    out = model.generate(**inputs, do_sample=False, max_new_tokens=GREEDY_NEW_TOKENS,
                         pad_token_id=tokenizer.eos_token_id)
    return tuple(out[0, inputs["input_ids"].shape[1]:].tolist())


@exercise("03.3")
def _greedy_by_hand(answer) -> tuple[bool, str]:
    ids = _as_ids(answer)
    if ids is None:
        return False, f"give the {GREEDY_NEW_TOKENS} new token ids as a list of ints."
    expected = expected_greedy()
    prompt = _prompt_ids()["input_ids"][0].tolist()
    if ids == prompt + expected:
        return False, "that includes the prompt: give only the new token ids."
    if len(ids) != len(expected):
        return False, f"give exactly {GREEDY_NEW_TOKENS} new token ids, one per step of your loop."
    if ids == expected:
        return True, "your loop of forward passes and argmax matches generate(do_sample=False) token for token."
    first_wrong = next(i for i, (a, b) in enumerate(zip(ids, expected, strict=True)) if a != b)
    return False, (f"token {first_wrong} differs from greedy generate(). Each step: run the model on all ids so far, "
                   "take argmax of logits[0, -1], append it to the ids, repeat.")
