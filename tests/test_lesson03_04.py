"""Helpers and checkers added for lessons 03 and 04: the timing helper, the top-k chart, the exercise checkers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from course_utils.checks import check  # noqa: E402
from course_utils.plots import plot_top_k, top_k  # noqa: E402
from course_utils.timing import Timing, measure  # noqa: E402


# -- timing ---------------------------------------------------------------------------------------
class FakeClock:
    """Returns the given readings in order, so every timed duration is known in advance."""

    def __init__(self, readings):
        self.readings = list(readings)

    def __call__(self):
        return self.readings.pop(0)


def test_measure_times_each_repeat_after_untimed_warmup():
    calls = []
    clock = FakeClock([0.0, 1.0, 10.0, 13.0, 20.0, 22.0])  # durations 1, 3, 2
    timing = measure(lambda: calls.append(1) or len(calls), repeats=3, warmup=2, clock=clock)
    assert len(calls) == 5, "two warm-up calls plus three timed ones"
    assert timing.seconds == (1.0, 3.0, 2.0)
    assert (timing.median, timing.min, timing.max, timing.repeats) == (2.0, 1.0, 3.0, 3)
    assert timing.result == 5, "the last call's result is kept"
    assert timing.per_token is None and timing.tokens_per_second is None
    assert clock.readings == [], "the clock is read only around timed calls"


def test_per_token_time_uses_the_measured_token_count():
    clock = FakeClock([0.0, 0.2, 1.0, 1.4, 2.0, 2.3])  # durations 0.2, 0.4, 0.3
    timing = measure(lambda: list(range(10)), repeats=3, warmup=0, tokens=lambda out: len(out), clock=clock)
    assert timing.tokens == 10
    assert timing.per_token == pytest.approx(0.03)
    assert timing.tokens_per_second == pytest.approx(10 / 0.3)
    row = timing.summary()
    assert row == {"repeats": 3, "median_ms": 300.0, "min_ms": 200.0, "max_ms": 400.0, "tokens": 10,
                   "ms_per_token": 30.0, "tokens_per_s": 33.3}


def test_a_fixed_token_count_and_an_even_number_of_repeats():
    timing = Timing((1.0, 2.0, 4.0, 5.0), tokens=6)
    assert timing.median == 3.0 and timing.per_token == 0.5


def test_different_token_counts_per_call_are_refused():
    outputs = iter([[1, 2], [1, 2, 3]])
    with pytest.raises(ValueError, match="different token counts"):
        measure(lambda: next(outputs), repeats=2, warmup=0, tokens=len)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"fn": 42}, TypeError, "needs a function"),
    ({"fn": lambda: 1, "repeats": 0}, ValueError, "repeats"),
    ({"fn": lambda: 1, "warmup": -1}, ValueError, "warmup"),
    ({"fn": lambda: 1, "tokens": 0}, ValueError, "tokens"),
])
def test_bad_arguments_get_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        measure(**kwargs)


def test_measure_really_times_with_the_default_clock():
    import time

    timing = measure(lambda: time.sleep(0.01), repeats=2, warmup=0)
    assert all(s >= 0.009 for s in timing.seconds)


def test_sync_runs_after_every_call_inside_the_timed_span():
    """On a GPU fn() only queues work; sync (torch.cuda.synchronize) must be timed too, or the launch is all we see."""
    events = []
    readings = iter([0.0, 1.0, 10.0, 12.0])

    def clock():
        events.append("clock")
        return next(readings)

    timing = measure(lambda: events.append("fn"), repeats=2, warmup=1, clock=clock, sync=lambda: events.append("sync"))
    assert events == ["fn", "sync"] + ["clock", "fn", "sync", "clock"] * 2, "warm-up synced; each sync before the stop"
    assert timing.seconds == (1.0, 2.0)
    with pytest.raises(TypeError, match="sync must be a function"):
        measure(lambda: 1, sync=42)


def test_numpy_integers_are_whole_numbers_and_bools_are_not():
    import numpy as np

    timing = measure(lambda: 1, repeats=np.int64(2), warmup=np.int64(0), tokens=np.int64(4))
    assert timing.repeats == 2 and timing.tokens == 4 and type(timing.tokens) is int
    for bad in ({"repeats": True}, {"tokens": True}, {"repeats": 2.0}):
        with pytest.raises(ValueError):
            measure(lambda: 1, **bad)


# -- the top-k chart ------------------------------------------------------------------------------
class FakeTokenizer:
    def decode(self, ids):
        return "".join(f" tok{i}" for i in ids)


PROBS = [0.05, 0.4, 0.1, 0.3, 0.15]


def test_top_k_orders_by_probability():
    assert top_k(PROBS, 3) == [(1, 0.4), (3, 0.3), (4, 0.15)]
    assert top_k([0.25, 0.25, 0.5], 3) == [(2, 0.5), (0, 0.25), (1, 0.25)], "ties keep the lower id first"


def test_top_k_accepts_a_bfloat16_softmax():
    """transformers 5 loads checkpoints in their own dtype (bf16 for many): their softmax sums to 1 only roughly."""
    import torch

    logits = torch.zeros(49152, dtype=torch.bfloat16)
    logits[7], logits[3] = 2.0, 1.0
    probs = logits.softmax(dim=-1)
    assert probs.dtype == torch.bfloat16 and abs(probs.double().sum().item() - 1) > 1e-3, "rounding shows in the sum"
    assert [i for i, _ in top_k(probs, 2)] == [7, 3]


def test_top_k_takes_numpy_integers_for_k_but_not_bools():
    import numpy as np

    assert top_k(PROBS, np.int64(2)) == [(1, 0.4), (3, 0.3)]
    for bad in (True, False, 2.0, "2"):
        with pytest.raises(ValueError, match="k must be"):
            top_k(PROBS, bad)


def test_plot_top_k_draws_the_k_most_likely_tokens_most_likely_on_top():
    import matplotlib.pyplot as plt

    fig = plot_top_k(PROBS, FakeTokenizer(), k=3, title="test")
    ax = fig.axes[0]
    bars = ax.patches
    assert len(bars) == 3
    by_position = sorted(bars, key=lambda b: b.get_y())
    assert [round(b.get_width(), 6) for b in by_position] == [0.4, 0.3, 0.15]
    assert ax.yaxis_inverted(), "the first bar (most likely) is drawn at the top"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["' tok1' (1)", "' tok3' (3)", "' tok4' (4)"], "decoded text in quotes shows the leading space"
    assert ax.get_title() == "test"
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [pytest.approx(1 / len(PROBS))], "the uniform line"
    plt.close(fig)


def test_plot_top_k_accepts_a_torch_tensor_and_an_existing_axis():
    import matplotlib.pyplot as plt
    import torch

    fig, axes = plt.subplots(1, 2)
    returned = plot_top_k(torch.tensor(PROBS), FakeTokenizer(), k=2, ax=axes[1])
    assert returned is fig and len(axes[1].patches) == 2 and len(axes[0].patches) == 0
    plt.close(fig)


@pytest.mark.parametrize("probs, k, match", [
    ([2.0, -1.0, 0.5], 2, "apply softmax first"),
    ([0.2, 0.2], 1, "not probabilities"),
    ([[0.5, 0.5]], 1, r"probs\[0, -1\]"),
    (PROBS, 0, "k must be"),
    (PROBS, 6, "k must be"),
    ([], 1, "empty"),
])
def test_plot_top_k_explains_bad_input(probs, k, match):
    import numpy as np

    with pytest.raises(ValueError, match=match):
        plot_top_k(np.array(probs) if probs and isinstance(probs[0], list) else probs, FakeTokenizer(), k=k)


# -- lesson 03 checkers (they run the real SmolLM2-135M-Instruct from the session's course hub) ----
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


# -- lesson 04 checkers --------------------------------------------------------------------------
def test_04_1_label_set(capsys):
    assert check("04.1", {"NEGATIVE", "POSITIVE"}) is True
    assert check("04.1", ["POSITIVE", "NEGATIVE"]) is True
    assert check("04.1", {"negative", "positive"}) is False
    assert check("04.1", {0: "NEGATIVE", 1: "POSITIVE"}) is False
    assert check("04.1", {"POSITIVE"}) is False
    out = capsys.readouterr().out
    assert "wrong case" in out and "id2label" in out


def test_04_1_accepts_any_iterable_of_label_names(capsys):
    from transformers import AutoConfig

    from course_utils.checks.lesson04 import LESSON04_SENTIMENT_MODEL

    id2label = AutoConfig.from_pretrained(LESSON04_SENTIMENT_MODEL).id2label
    assert check("04.1", id2label.values()) is True, "dict_values, as config.id2label.values() returns"
    assert check("04.1", (label for label in id2label.values())) is True, "a generator"
    assert check("04.1", [0, 1]) is False
    assert check("04.1", 5) is False
    out = capsys.readouterr().out
    assert out.count("[OK]") == 2 and "as strings" in out


def test_04_2_semantic_search_finds_the_relevant_review(capsys):
    """The real MiniLM: the top test review for the kettle-taste query is the kettle review about a plastic taste."""
    from course_utils.checks.lesson04 import _search_scores
    from course_utils.data import load_reviews

    ids, scores = _search_scores()
    test = load_reviews(split="test", verbose=False)
    best = test[int(scores["text"].argmax())]
    assert best["product"] == "Brewlark Electric Kettle" and "plastic" in best["text"]
    assert check("04.2", best["id"]) is True
    assert check("04.2", f" {best['id']}\n") is True, "surrounding whitespace is ignored"
    worst = ids[int(scores["text"].argmin())]
    assert check("04.2", worst) is False
    assert check("04.2", 3) is False
    assert check("04.2", "r9999") is False
    out = capsys.readouterr().out
    assert "argmax" in out and "not its position" in out


def test_04_3_direct_probabilities_must_match_the_pipeline(capsys):
    from course_utils.checks.lesson04 import expected_sentiment

    expected = expected_sentiment()
    assert check("04.3", expected) is True
    shifted = {label: p + (0.01 if i == 0 else -0.01) for i, (label, p) in enumerate(expected.items())}
    assert check("04.3", shifted) is False
    assert check("04.3", {label: 3.0 for label in expected}) is False
    assert check("04.3", {"pos": 1.0}) is False
    assert check("04.3", [0.5, 0.5]) is False
    out = capsys.readouterr().out
    assert "off by" in out and "logits" in out and "label names" in out


def test_04_smollm2_chat_pipeline_answers_a_fixed_question_greedily():
    """Lesson 04 section 1 asserts this of the real SmolLM2-135M-Instruct (the course hub serves it offline)."""
    import torch
    from transformers import pipeline

    generator = pipeline("text-generation", model="HuggingFaceTB/SmolLM2-135M-Instruct", dtype=torch.float32)
    question = [{"role": "user", "content": "What is the capital of France?"}]
    reply = generator(question, max_new_tokens=12, do_sample=False)[0]["generated_text"]
    assert reply[:-1] == question and reply[-1]["role"] == "assistant" and "Paris" in reply[-1]["content"]
    batched = generator([question, [{"role": "user", "content": "What is 2 + 2?"}]], max_new_tokens=12,
                        do_sample=False, batch_size=2)
    assert "Paris" in batched[0][0]["generated_text"][-1]["content"], "left padding: the batched prompt still gets it"
