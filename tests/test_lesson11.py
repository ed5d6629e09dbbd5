"""Lesson 11's exercise checkers (course_utils/checks/lesson11.py): right answers pass, wrong ones are refused with a
useful message. The app itself is tested in tests/test_summarizer.py; the lesson's run checks its own solutions."""

from __future__ import annotations

import hashlib
import json

import pytest

from course_utils.checks import check
from course_utils.summarizer import Backend, InputError, hosted_price

TOKEN = "course-test-token-lesson11"


def good_key(backend, model, messages, params):
    text = json.dumps([backend, model, messages, params], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def test_checker_11_1_accepts_a_structured_key_and_refuses_weak_ones(capsys):
    assert check("11.1", good_key)
    assert not check("11.1", lambda b, m, msgs, p: hashlib.sha256(
        (b + m + json.dumps(msgs, sort_keys=True) + json.dumps(p, sort_keys=True)).encode()).hexdigest())
    assert "collides" in capsys.readouterr().out  # joined strings: ("ab", "c") == ("a", "bc")
    assert not check("11.1", lambda b, m, msgs, p: json.dumps([b, m, msgs, p]))  # no sort_keys
    assert "another order" in capsys.readouterr().out
    assert not check("11.1", lambda b, m, msgs, p: json.dumps([b, m, msgs], sort_keys=True))  # params left out
    assert "max_tokens" in capsys.readouterr().out
    assert not check("11.1", lambda *args: 42)
    assert not check("11.1", "a key")


@pytest.fixture
def inference(monkeypatch):
    from course_utils.practice import PracticeServer

    server = PracticeServer(tokens={TOKEN}).start()
    monkeypatch.setenv("COURSE_INFERENCE_URL", server.url)
    yield server
    server.stop()


def test_checker_11_2_sends_a_request_and_checks_the_prices(inference, capsys):
    model = "Qwen/Qwen2.5-7B-Instruct:together"
    price_in, price_out = hosted_price(model)
    url = inference.url + "/v1"
    assert check("11.2", Backend("Together", url, model, TOKEN, price_in, price_out))
    assert not check("11.2", Backend("Together", url, model, TOKEN, 0.0, 0.0))
    assert "hosted_price" in capsys.readouterr().out
    assert not check("11.2", Backend("Together", url, "Qwen/Qwen2.5-7B-Instruct", TOKEN, price_in, price_out))
    assert "provider" in capsys.readouterr().out
    assert not check("11.2", Backend("Together", url, model, "wrong-token", price_in, price_out))
    assert "(401)" in capsys.readouterr().out
    assert not check("11.2", Backend("Together", "http://127.0.0.1:9/v1", model, TOKEN, price_in, price_out))
    assert not check("11.2", {"base_url": url})


def trim_reviews(text, max_chars):
    kept = []
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        if len("\n".join([*kept, line])) > max_chars:
            break
        kept.append(line)
    if not kept and text.strip():
        raise InputError("too long")
    return "\n".join(kept)


def test_checker_11_3_accepts_whole_lines_and_refuses_cutting(capsys):
    assert check("11.3", trim_reviews)
    assert not check("11.3", lambda text, max_chars: text[:max_chars])  # cuts a review in the middle
    assert not check("11.3", lambda text, max_chars: "\n".join(
        line for line in text.splitlines() if line.strip() and len(line) <= max_chars))  # ignores the total
    assert not check("11.3", lambda text, max_chars: trim_reviews(text, max_chars) if len(text) < 1000 else "")

    def never_raises(text, max_chars):
        try:
            return trim_reviews(text, max_chars)
        except InputError:
            return ""

    assert not check("11.3", never_raises)
    assert "InputError" in capsys.readouterr().out
    assert not check("11.3", 3)
