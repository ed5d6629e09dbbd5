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

    def pinned(**changes):
        fields = {"name": "Together", "base_url": url, "model": model, "api_key": TOKEN, "input_usd_per_1m": price_in,
                  "output_usd_per_1m": price_out, "key_variable": "HF_TOKEN"} | changes
        return Backend(**fields)

    assert check("11.2", pinned())
    assert "Together's listed price" in capsys.readouterr().out
    assert not check("11.2", pinned(input_usd_per_1m=0.0, output_usd_per_1m=0.0))
    assert "hosted_price" in capsys.readouterr().out
    # section 1's backend: the same model, the router's choice of provider (and its cheapest-row price)
    assert not check("11.2", Backend("Inference Providers", url, "Qwen/Qwen2.5-7B-Instruct", TOKEN,
                                     *hosted_price("Qwen/Qwen2.5-7B-Instruct"), key_variable="HF_TOKEN"))
    assert "section 1's backend" in capsys.readouterr().out
    assert not check("11.2", pinned(model="Qwen/Qwen2.5-7B-Instruct:groq"))
    assert "another provider" in capsys.readouterr().out
    assert not check("11.2", pinned(key_variable=None))
    assert "key_variable" in capsys.readouterr().out
    assert not check("11.2", pinned(api_key="wrong-token"))
    out = capsys.readouterr().out
    assert "(401)" in out and "Set HF_TOKEN" in out and "wrong-token" not in out
    assert not check("11.2", pinned(base_url="http://127.0.0.1:9/v1"))
    assert not check("11.2", {"base_url": url})


def test_checker_11_2_never_echoes_what_could_be_a_token(inference, capsys):
    """Arguments in the wrong order put the token where the URL or the model belongs: the feedback describes."""
    model = "Qwen/Qwen2.5-7B-Instruct:together"
    secret = "hf_" + "x" * 34
    swapped_url = Backend("Together", secret, model, inference.url + "/v1", *hosted_price(model), "HF_TOKEN")
    swapped_model = Backend("Together", inference.url + "/v1", secret, model, *hosted_price(model), "HF_TOKEN")
    assert not check("11.2", swapped_url) and not check("11.2", swapped_model)
    out = capsys.readouterr().out
    assert secret not in out and "hf_xxx" not in out and "not echoed" in out and "another model" in out


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
