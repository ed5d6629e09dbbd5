"""course_utils/timing.py: `measure` (time per generated token, lessons 03 and 04) and StreamClock (time to first
token, tokens per second, lesson 06).

StreamClock is timed on the course hub's tiny random-weight Qwen2.5-0.5B-Instruct stand-in: mechanics only."""

from __future__ import annotations

import itertools

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

from course_utils.timing import StreamClock, StreamTiming, Timing, measure


# -- measure ------------------------------------------------------------------------------------
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


# -- StreamClock --------------------------------------------------------------------------------
CHAT = "Qwen/Qwen2.5-0.5B-Instruct"  # a tiny stand-in: loads and generates in a moment


def fake_clock(times):
    ticks = iter(times)
    return lambda: next(ticks)


def test_stream_timing_from_ticks():
    clock = StreamClock(clock=fake_clock([10.0, 10.5, 10.6, 10.7, 10.9]))  # created at 10.0
    for _ in range(4):
        clock.tick()
    timing = clock.timing()
    assert timing.arrivals == pytest.approx((0.5, 0.6, 0.7, 0.9))
    assert timing.first_token_s == pytest.approx(0.5)
    assert timing.total_s == pytest.approx(0.9)
    assert timing.tokens == 4
    assert timing.tokens_per_second == pytest.approx(3 / 0.4)
    assert timing.summary() == {"ttft_ms": 500.0, "total_ms": 900.0, "tokens": 4, "tokens_per_s": 7.5}


def test_stream_timing_with_too_few_tokens_has_no_rate():
    assert StreamTiming(()).summary() == {"ttft_ms": None, "total_ms": None, "tokens": 0, "tokens_per_s": None}
    assert StreamTiming((0.2,)).tokens_per_second is None
    assert StreamTiming((0.2, 0.2)).tokens_per_second is None  # no time passed: no rate rather than infinity


def test_stream_clock_skips_the_prompt_and_counts_new_tokens():
    clock = StreamClock(clock=fake_clock(itertools.count()))
    clock.put(torch.tensor([[1, 2, 3, 4]]))  # the prompt: generate() hands it over first
    clock.put(torch.tensor([5]))  # one new token per decoding step, shape (batch,)
    clock.put(torch.tensor([[6, 7]]))  # or several at once, shape (batch, n)
    clock.end()
    assert clock.timing().tokens == 3


def test_stream_clock_refuses_a_batch():
    clock = StreamClock()
    clock.put(torch.tensor([[1, 2], [3, 4]]))
    with pytest.raises(ValueError, match="batch of 1"):
        clock.put(torch.tensor([5, 6]))


@pytest.fixture(scope="module")
def chat_model(hub):
    tokenizer = AutoTokenizer.from_pretrained(CHAT)
    model = AutoModelForCausalLM.from_pretrained(CHAT)
    return tokenizer, model


def test_stream_clock_times_generate_and_a_pipeline(chat_model):
    tokenizer, model = chat_model
    messages = [{"role": "user", "content": "Hello"}]
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    n = 7
    clock = StreamClock()
    out = model.generate(**inputs, max_new_tokens=n, min_new_tokens=n, do_sample=False, streamer=clock)
    timing = clock.timing()
    assert timing.tokens == out.shape[1] - inputs["input_ids"].shape[1] == n
    assert 0 < timing.first_token_s <= timing.total_s
    assert list(timing.arrivals) == sorted(timing.arrivals)

    clock = StreamClock()
    pipeline("text-generation", model=model, tokenizer=tokenizer)(
        messages, max_new_tokens=n, min_new_tokens=n, do_sample=False, streamer=clock)
    assert clock.timing().tokens == n
