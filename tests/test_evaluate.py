"""course_utils/evaluate.py (lesson 07): the evaluation harness, its metrics and intervals, LoglikClassifier and
summary point coverage.

Relations about the harness use fake contestants; relations about models use the real all-MiniLM-L6-v2.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from course_utils.datafiles import read_reviews
from course_utils.evaluate import (
    LABELS,
    LoglikClassifier,
    bootstrap_ci,
    calibrate_threshold,
    closed_client,
    cost_per_1000,
    macro_f1,
    metrics,
    not_run_row,
    pareto_front,
    parse_label,
    point_coverage,
    run_model,
    split_sentences,
)

EMBED = "sentence-transformers/all-MiniLM-L6-v2"


def fake_items(n, seed=0):
    rng = np.random.default_rng(seed)
    return [{"id": f"r{i:04d}", "text": f"review {i}", "label": LABELS[int(rng.integers(3))]} for i in range(n)]


def oracle(items, right=0.7, seed=0):
    """A fake contestant that answers `right` of the items correctly (in a sentence, as chat models do)."""
    rng = np.random.default_rng(seed)
    answers = {i["text"]: i["label"] if rng.random() < right else LABELS[(LABELS.index(i["label"]) + 1) % 3]
               for i in items}
    return lambda text: f"This review is {answers[text]}."


def test_parse_label_takes_the_first_label_word():
    assert parse_label("This review is Positive, mostly.") == "positive"
    assert parse_label("neutral, not negative") == "neutral"
    assert parse_label("I cannot tell") is None and parse_label(None) is None and parse_label("") is None
    assert parse_label("positively") is None  # whole words only


def test_run_model_records_every_item_and_the_run_goes_on_after_an_error():
    items = fake_items(12)
    answer = oracle(items, right=1.0)

    def flaky(text):
        if text == "review 3":
            raise TimeoutError("the server took too long")
        return {"text": answer(text), "prompt_tokens": 10, "completion_tokens": 4}

    results = run_model(flaky, items)
    assert list(results["id"]) == [i["id"] for i in items]
    assert results.loc[3, "error"].startswith("TimeoutError") and pd.isna(results.loc[3, "prediction"])
    assert results["error"].notna().sum() == 1 and (results["latency_s"] >= 0).all()
    summary = metrics(results)
    assert summary["error_rate"] == pytest.approx(1 / 12) and summary["invalid_rate"] == 0
    assert summary["accuracy"] == pytest.approx(11 / 12)  # the failed item counts as wrong
    assert summary["tokens_per_s"] > 0


def test_concurrency_keeps_item_order_and_speeds_up_waiting():
    import time

    items = fake_items(8)
    answer = oracle(items)

    def slow(text):
        time.sleep(0.05)
        return answer(text)

    one, four = run_model(slow, items), run_model(slow, items, concurrency=4)
    assert list(one["prediction"]) == list(four["prediction"])
    assert four.attrs["concurrency"] == 4 and four.attrs["wall_s"] < one.attrs["wall_s"]
    assert metrics(four)["items_per_s"] > metrics(one)["items_per_s"]


def test_an_openai_style_client_is_called_with_the_prompt_and_counted():
    from types import SimpleNamespace

    calls = []

    class Completions:
        def create(self, model, messages, max_tokens, temperature):
            calls.append((model, messages, max_tokens, temperature))
            return SimpleNamespace(choices=[SimpleNamespace(message=SimpleNamespace(content="negative"))],
                                   usage=SimpleNamespace(prompt_tokens=20, completion_tokens=1))

    client = SimpleNamespace(chat=SimpleNamespace(completions=Completions()))
    results = run_model(client, fake_items(3), model_name="m", prompt=lambda t: [{"role": "user", "content": t}],
                        max_tokens=4)
    assert calls[0] == ("m", [{"role": "user", "content": "review 0"}], 4, 0)
    assert list(results["prediction"]) == ["negative"] * 3 and results["prompt_tokens"].sum() == 60
    assert cost_per_1000(results, 1.0, 2.0) == pytest.approx((20 * 1.0 + 1 * 2.0) / 1e6 * 1000)
    assert "model_name" in run_model(client, fake_items(1))["error"].iloc[0]  # a chat client needs a model and prompt


def test_latency_percentiles_are_ordered():
    items = fake_items(50)
    rng = np.random.default_rng(1)
    delays = iter(rng.exponential(0.002, 50))

    def jittery(text):
        import time

        time.sleep(next(delays))
        return "neutral"

    summary = metrics(run_model(jittery, items))
    assert 0 < summary["p50_ms"] <= summary["p95_ms"]


def test_intervals_contain_their_estimates_and_narrow_with_more_items():
    widths = {}
    for n in (50, 800):
        items = fake_items(n, seed=n)
        results = run_model(oracle(items, 0.7, seed=n), items)
        summary = metrics(results, n_boot=500)
        for name in ("accuracy", "macro_f1"):
            assert summary[f"{name}_low"] <= summary[name] <= summary[f"{name}_high"]
        widths[n] = summary["accuracy_high"] - summary["accuracy_low"]
    assert widths[800] < widths[50] / 2  # about 1/sqrt(n): 4x narrower for 16x the items


def test_macro_f1_matches_scikit_learn():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(2)
    gold = [LABELS[i] for i in rng.integers(0, 3, 200)]
    predicted = [LABELS[i] if i < 3 else "?" for i in rng.integers(0, 4, 200)]
    codes = {label: i for i, label in enumerate(LABELS)}
    ours = macro_f1([codes[g] for g in gold], [codes.get(p, 3) for p in predicted])
    assert ours == pytest.approx(f1_score(gold, predicted, labels=list(LABELS), average="macro", zero_division=0))
    point, low, high = bootstrap_ci(gold, predicted, "macro_f1", n_boot=200)
    assert point == pytest.approx(ours) and low <= point <= high


def test_cost_local_from_seconds_and_pareto_front():
    results = pd.DataFrame({"latency_s": [0.5, 1.5], "prompt_tokens": [None, None], "completion_tokens": [None, None]})
    results.attrs["wall_s"] = 2.0
    assert cost_per_1000(results, usd_per_hour=3.6) == pytest.approx(1.0)  # 1 s per item at $0.001 per second
    with pytest.raises(ValueError):
        cost_per_1000(results)
    table = pd.DataFrame({"accuracy": [0.5, 0.8, 0.7, 0.9, math.nan], "usd_per_1k": [0.0, 0.1, 0.2, 1.0, 0.0]},
                         index=list("abcde"))
    assert list(pareto_front(table, "accuracy", "usd_per_1k").index) == ["a", "b", "d"]


def test_a_closed_model_without_a_key_is_a_not_run_row():
    client, why = closed_client("OpenAI", "OPENAI_API_KEY", "https://api.openai.com/v1", env={})
    assert client is None and why.startswith("not run: no key")
    row = not_run_row("OpenAI gpt-4o-mini", why, kind="closed, hosted", usd_per_1k=0.02)
    assert row["status"] == why and math.isnan(row["accuracy"]) and row["usd_per_1k"] == 0.02
    table = pd.DataFrame([row, {"contestant": "x", "accuracy": 0.6, "usd_per_1k": 0.1}]).set_index("contestant")
    assert list(pareto_front(table, "accuracy", "usd_per_1k").index) == ["x"]
    client, why = closed_client("OpenAI", "OPENAI_API_KEY", "https://api.openai.com/v1", env={"OPENAI_API_KEY": "k"})
    assert why is None and client.max_retries == 0
    assert str(client.base_url).rstrip("/") == "https://api.openai.com/v1"
    client, _ = closed_client("OpenAI", "OPENAI_API_KEY", "https://api.openai.com/v1",
                              env={"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert str(client.base_url).rstrip("/") == "http://127.0.0.1:9/v1"  # the variable the openai client reads too


@pytest.fixture(scope="module")
def tiny_lm(hub):
    """SmolLM2's real tokenizer and a tiny random-weight Llama of its vocabulary: the relation below holds for any
    causal LM, so the weights need not be real (and building them takes milliseconds, not a 135M-parameter load)."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct")
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=256)
    return LlamaForCausalLM(config).eval(), tokenizer


def test_loglik_classifier_always_answers_a_label(tiny_lm):
    model, tokenizer = tiny_lm
    classifier = LoglikClassifier(model, tokenizer, lambda text: f"Review: {text}\nSentiment:")
    assert all(len(ids) == 1 for ids in classifier.label_ids)  # one forward pass scores all three labels
    items = [{"id": str(i), "text": t, "label": "neutral"} for i, t in
             enumerate(["Great.", "Awful, broke at once.", "It is fine.", "", "??? !!!"])]
    results = run_model(classifier, items)
    assert results["prediction"].isin(LABELS).all() and metrics(results)["invalid_rate"] == 0
    assert (results["completion_tokens"] == 0).all() and (results["prompt_tokens"] > 0).all()
    scores = classifier.scores("Terrible.")
    assert set(scores) == set(LABELS) and all(s <= 0 for s in scores.values())
    assert classifier("Terrible.")["text"] == max(scores, key=scores.get)
    # labels of several tokens take the slower path, and still give valid answers
    multi = LoglikClassifier(model, tokenizer, lambda text: f"{text}\nThe review is", labels=("very bad", "so-so"))
    assert any(len(ids) > 1 for ids in multi.label_ids)
    assert multi("Broken on arrival.")["text"] in ("very bad", "so-so")


# -- summary point coverage and the real MiniLM -------------------------------------------------
def test_split_sentences():
    assert split_sentences("Good battery. Loose lid!\n- Left bud drops out") == [
        "Good battery.", "Loose lid!", "Left bud drops out"]
    assert split_sentences("") == []


@pytest.fixture(scope="module")
def minilm(hub):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(EMBED)


def test_point_coverage_with_minilm(minilm):
    points = ["The battery lasts a long time.", "The case lid is loose."]
    on_topic = point_coverage(points, "Buyers love the long battery life. Many say the case lid is loose.", minilm, 0.5)
    off_topic = point_coverage(points, "The pan heats evenly. The coating flakes.", minilm, 0.5)
    assert all(a > b for a, b in zip(on_topic, off_topic, strict=True))
    assert point_coverage(points, "", minilm, 0.5) == [0.0, 0.0]
    assert calibrate_threshold([0.8, 0.7, 0.65], [0.2, 0.3, 0.6]) == pytest.approx(0.625)


@pytest.fixture(scope="module")
def embedded(minilm):
    """The training and test splits, embedded once (about 600 short reviews)."""
    splits = read_reviews()
    train, test = splits["train"], splits["test"]
    vectors = minilm.encode([r["text"] for r in train + test], batch_size=64)
    return {"train": (vectors[:len(train)], [r["sentiment"] for r in train]),
            "test": (vectors[len(train):], [r["sentiment"] for r in test])}


def test_logistic_regression_on_minilm_beats_the_majority_class_clearly(embedded):
    from sklearn.linear_model import LogisticRegression

    (x_train, y_train), (x_test, gold) = embedded["train"], embedded["test"]
    predicted = LogisticRegression(max_iter=1000).fit(x_train, y_train).predict(x_test)
    majority = pd.Series(y_train).mode()[0]
    lr = bootstrap_ci(gold, list(predicted))
    floor = bootstrap_ci(gold, [majority] * len(gold))
    assert len(gold) == 107  # the whole test split
    assert lr[0] > floor[0] + 0.15 and lr[1] > floor[2]  # clear margin, intervals do not overlap
