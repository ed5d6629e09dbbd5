"""Lesson 06's plumbing outside the servers: StreamClock (time to first token, tokens per second) and the
exercise checkers' refusals of wrong answers. The servers have their own tests (test_serving, test_gguf,
test_ollama).

Mechanics only, so the tiny random-weight Qwen2.5-0.5B-Instruct stand-in answers here (also inside checker 06.1,
whose chat model is patched to it); the lesson's own run checks the solutions against the real SmolLM2."""

from __future__ import annotations

import itertools

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

from course_utils.checks import check, lesson06
from course_utils.timing import StreamClock, StreamTiming

CHAT = "Qwen/Qwen2.5-0.5B-Instruct"  # a tiny stand-in: loads and generates in a moment


@pytest.fixture
def fast_checker(monkeypatch):
    """Checker 06.1 against the stand-in instead of the lesson's real SmolLM2 (the same checks, faster)."""
    monkeypatch.setattr(lesson06, "LESSON06_CHAT_MODEL", CHAT)


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


# -- checkers: wrong answers are refused with a useful message ----------------------------------------------------
def test_checker_06_1_refuses_counting_chunks_wrongly(fast_checker, capsys):
    def counts_pieces_plus_one(client, model, messages, max_tokens):
        text, pieces = "", 0
        for chunk in client.chat.completions.create(model=model, messages=messages, max_tokens=max_tokens,
                                                    stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
                pieces += 1
        return text, pieces + 1

    assert not check("06.1", counts_pieces_plus_one)
    assert "include_usage" in capsys.readouterr().out
    assert not check("06.1", lambda *args: "text")
    assert not check("06.1", 42)


def test_checker_06_3_refuses_a_function_that_never_retries(capsys):
    assert not check("06.3", lambda client, model, text: client.embed(model=model, input=text))
    assert "429" in capsys.readouterr().out


def _retrying(reraise: bool, wait):
    import ollama
    from tenacity import retry, retry_if_exception, stop_after_attempt

    @retry(retry=retry_if_exception(lambda e: isinstance(e, ollama.ResponseError) and e.status_code in (429, 503)),
           stop=stop_after_attempt(5), wait=wait, reraise=reraise)
    def embed(client, model, text):
        return client.embed(model=model, input=text)

    return embed


def test_checker_06_3_wants_growing_waits_and_the_last_error_itself(capsys):
    from tenacity import wait_exponential, wait_fixed

    assert not check("06.3", _retrying(reraise=True, wait=wait_fixed(0)))
    # no wait at all; on a loaded machine the gaps are a few ms of request time, which "did not grow" names too
    assert "between tries" in capsys.readouterr().out
    assert not check("06.3", _retrying(reraise=False, wait=wait_exponential(multiplier=0.06, max=1)))
    assert "reraise=True" in capsys.readouterr().out
    assert not check("06.3", _retrying(reraise=True, wait=wait_fixed(0.1)))
    assert "did not grow" in capsys.readouterr().out
    assert check("06.3", _retrying(reraise=True, wait=wait_exponential(multiplier=0.06, max=1)))


def test_checker_06_1_wants_a_stream(fast_checker, capsys):
    def not_streamed(client, model, messages, max_tokens):
        reply = client.chat.completions.create(model=model, messages=messages, max_tokens=max_tokens)
        return reply.choices[0].message.content, reply.usage.completion_tokens

    assert not check("06.1", not_streamed)
    assert "not streamed" in capsys.readouterr().out


def test_inference_server_can_send_several_tokens_per_chunk(hub):
    from openai import OpenAI

    from course_offline.inference import InferenceServer, InferenceServerError

    with pytest.raises(InferenceServerError, match="tokens_per_chunk"):
        InferenceServer(tokens_per_chunk=0)
    with InferenceServer(tokens={"hf_x"}, tokens_per_chunk=3) as server:
        client = OpenAI(base_url=server.url + "/v1", api_key="hf_x")
        chunks = [c for c in client.chat.completions.create(
            model=CHAT, messages=[{"role": "user", "content": "Hi"}], max_tokens=7, stream=True,
            stream_options={"include_usage": True})]
    contents = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    usage = [c.usage for c in chunks if c.usage is not None]
    assert usage[0].completion_tokens == 7
    assert len(contents) == 3  # 3 + 3 + 1 tokens
