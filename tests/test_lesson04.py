"""Lesson 04: its exercise checkers (course_utils/checks/lesson04.py) and the real SmolLM2 chat pipeline that
section 1 relies on."""

from __future__ import annotations

from course_utils.checks import check


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
