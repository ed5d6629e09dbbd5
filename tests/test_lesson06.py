"""Lesson 06's exercise checkers (course_utils/checks/lesson06.py): wrong answers are refused with a useful message.
The servers (test_serving, test_gguf, test_ollama) and StreamClock (test_timing) have their own tests.

Mechanics only, so the tiny random-weight Qwen2.5-0.5B-Instruct stand-in answers here (inside checker 06.1, whose chat
model is patched to it); the lesson's own run checks the solutions against the real SmolLM2."""

from __future__ import annotations

import pytest

from course_utils.checks import check, lesson06

CHAT = "Qwen/Qwen2.5-0.5B-Instruct"  # a tiny stand-in: loads and generates in a moment


@pytest.fixture
def fast_checker(monkeypatch):
    """Checker 06.1 against the stand-in instead of the lesson's real SmolLM2 (the same checks, faster)."""
    monkeypatch.setattr(lesson06, "LESSON06_CHAT_MODEL", CHAT)


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
