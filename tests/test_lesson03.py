"""Lesson 03: its exercise model is a real language model, and its exercise checkers
(course_utils/checks/lesson03.py). They run the real SmolLM2-135M-Instruct from the session's course hub."""

from __future__ import annotations

import pytest

from course_utils.checks import check


@pytest.fixture
def lesson03_threads():
    """Torch threads as setup() sets them in a lesson (COURSE_THREADS, 1 in the tests): on a busy 2-core machine
    SmolLM2 runs several times slower with two threads than with one."""
    import torch

    from course_utils.threads import course_threads

    before = torch.get_num_threads()
    torch.set_num_threads(course_threads() or before)
    yield
    torch.set_num_threads(before)


@pytest.mark.usefixtures("lesson03_threads")
def test_03_exercise_model_is_a_real_language_model():
    """What the real model reliably does: a greedy factual answer, and a confident next-token distribution whose
    entropy rises with temperature (sampling is only ever asserted through statistics and seeded repeatability)."""
    import math

    from course_utils.checks.lesson03 import _model_and_tokenizer, expected_sample, next_token_probabilities

    model, tokenizer = _model_and_tokenizer()
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt")
    out = model.generate(**inputs, max_new_tokens=12, do_sample=False, pad_token_id=tokenizer.eos_token_id)
    assert "Paris" in tokenizer.decode(out[0, inputs["input_ids"].shape[1]:])

    probs, _ = next_token_probabilities()
    logits = probs.double().log()
    entropies = []
    for temperature in (0.5, 1.0, 2.0):
        p = (logits / temperature).softmax(dim=-1)
        entropies.append(-(p * p.clamp_min(1e-300).log()).sum().item())
    assert entropies == sorted(entropies) and len(set(entropies)) == 3
    assert entropies[1] < 0.5 * math.log(probs.shape[0]), "a trained model is far from uniform"
    assert expected_sample(3) == expected_sample(3) != expected_sample(4)


@pytest.mark.usefixtures("lesson03_threads")
def test_03_1_accepts_the_argmax_and_explains_mistakes(capsys):
    from course_utils.checks.lesson03 import next_token_probabilities

    probs, all_positions = next_token_probabilities()
    best = int(probs.argmax())
    assert check("03.1", best) is True
    assert check("03.1", "because") is False
    assert check("03.1", int(probs.argmin())) is False
    assert check("03.1", 10**9) is False
    first_position = int(all_positions[0].argmax())
    if first_position != best:
        assert check("03.1", first_position) is False
    out = capsys.readouterr().out
    assert "[OK] Exercise 03.1" in out and "not its text" in out and "not the highest" in out
    assert "not a token id" in out


@pytest.mark.usefixtures("lesson03_threads")
def test_03_1_accepts_the_argmax_in_its_natural_forms(capsys):
    import numpy as np
    import torch

    from course_utils.checks.lesson03 import next_token_probabilities

    probs, _ = next_token_probabilities()
    assert check("03.1", probs.argmax()) is True, "a 0-d tensor, straight from argmax()"
    assert check("03.1", np.int64(int(probs.argmax()))) is True
    assert check("03.1", probs.numpy().argmax()) is True, "numpy's argmax gives an np.int64"
    assert check("03.1", torch.tensor(True)) is False
    assert check("03.1", float(probs.argmax())) is False
    assert check("03.1", probs.topk(2).indices) is False, "two ids are not one"
    out = capsys.readouterr().out
    assert out.count("[OK]") == 3 and "got a Tensor" in out and "got a float" in out


def _exercise_sampler(seed_inside: bool, sample: bool = True, with_prompt: bool = False):
    from transformers import set_seed

    from course_utils.checks.lesson03 import SAMPLE_NEW_TOKENS, _model_and_tokenizer, _prompt_ids

    model, tokenizer = _model_and_tokenizer()
    inputs = _prompt_ids()

    def sample_fn(seed):
        if seed_inside:
            set_seed(seed)
        out = model.generate(**inputs, do_sample=sample, max_new_tokens=SAMPLE_NEW_TOKENS,
                             pad_token_id=tokenizer.eos_token_id)
        return out[0].tolist() if with_prompt else out[0, inputs["input_ids"].shape[1]:].tolist()

    return sample_fn


@pytest.mark.usefixtures("lesson03_threads")
def test_03_2_needs_a_seeded_sampler(capsys):
    assert check("03.2", _exercise_sampler(seed_inside=True)) is True
    assert check("03.2", _exercise_sampler(seed_inside=False)) is False
    assert check("03.2", _exercise_sampler(seed_inside=True, sample=False)) is False
    assert check("03.2", _exercise_sampler(seed_inside=True, with_prompt=True)) is False
    assert check("03.2", lambda seed: [seed, seed + 1]) is False, "repeatable, but not the model's sample"
    assert check("03.2", [1, 2, 3]) is False
    assert check("03.2", lambda seed: 1 / 0) is False
    out = capsys.readouterr().out
    assert out.count("[OK]") == 1
    hints = ("set_seed(seed)", "greedy", "slice off the prompt", "not what", "give a function", "ZeroDivisionError")
    assert all(hint in out for hint in hints), out


@pytest.mark.usefixtures("lesson03_threads")
def test_03_3_compares_with_greedy_generate(capsys):
    import numpy as np
    import torch

    from course_utils.checks.lesson03 import GREEDY_NEW_TOKENS, expected_greedy

    expected = expected_greedy()
    assert len(expected) == GREEDY_NEW_TOKENS
    assert check("03.3", expected) is True
    assert check("03.3", torch.tensor([expected])) is True, "a [1, n] tensor is accepted"
    assert check("03.3", [np.int64(i) for i in expected]) is True, "a list of numpy ints, e.g. from argmax() in a loop"
    assert check("03.3", [torch.tensor(i) for i in expected]) is True, "a list of 0-d tensors"
    assert check("03.3", [True] * len(expected)) is False
    wrong = expected[:-1] + [(expected[-1] + 1) % 100]
    assert check("03.3", wrong) is False
    assert check("03.3", expected[:2]) is False
    assert check("03.3", "ids") is False
    out = capsys.readouterr().out
    assert f"token {GREEDY_NEW_TOKENS - 1} differs" in out and f"exactly {GREEDY_NEW_TOKENS}" in out
