"""Checkers for lesson 04 (pipelines). Each one loads the model or data itself to get the expected answer."""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache

from . import exercise

LESSON04_SENTIMENT_MODEL = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
LESSON04_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
LESSON04_QUERY = "my tea tastes strange after I boil the water"  # exercise 04.2: searched in the test split
LESSON04_TEXT = "The lid sticks a little, but it boils water fast and looks great."  # exercise 04.3


@exercise("04.1")
def _label_set(answer) -> tuple[bool, str]:
    from transformers import AutoConfig

    expected = set(AutoConfig.from_pretrained(LESSON04_SENTIMENT_MODEL).id2label.values())
    if isinstance(answer, dict):
        return False, "that looks like id2label: give its values, the label names, e.g. set(config.id2label.values())."
    if isinstance(answer, (str, bytes)) or not isinstance(answer, Iterable):
        return False, "give a set of label names, e.g. set(classifier.model.config.id2label.values())."
    names = list(answer)  # any iterable of names: a set, a list, id2label.values() ...
    if not all(isinstance(x, str) for x in names):
        return False, "give the label names as strings, e.g. set(classifier.model.config.id2label.values())."
    given = set(names)
    if given == expected:
        return True, f"the model predicts one of {sorted(expected)}."
    if {x.lower() for x in given} == {x.lower() for x in expected}:
        return False, "right labels, wrong case: label names are compared exactly, as the pipeline returns them."
    return False, "read them from the pipeline's model: classifier.model.config.id2label."


@lru_cache(maxsize=1)
def _search_scores():
    """Cosine similarity of LESSON04_QUERY to each test review, embedded as text and as 'title. text'."""
    from sentence_transformers import SentenceTransformer

    from ..data import load_reviews

    test = load_reviews(split="test", verbose=False)
    model = SentenceTransformer(LESSON04_EMBEDDING_MODEL)
    query = model.encode([LESSON04_QUERY], normalize_embeddings=True)
    texts, titles = list(test["text"]), list(test["title"])
    scores = {}
    for name, inputs in (("text", texts), ("title. text", [f"{t}. {x}" for t, x in zip(titles, texts, strict=True)])):
        scores[name] = (model.encode(inputs, normalize_embeddings=True) @ query.T)[:, 0]
    return list(test["id"]), scores


@exercise("04.2")
def _closest_review(answer) -> tuple[bool, str]:
    ids, scores = _search_scores()
    best = {name: ids[int(s.argmax())] for name, s in scores.items()}
    if isinstance(answer, int):
        return False, "give the review's id string (like 'r0042'), e.g. test[int(best)]['id'], not its position."
    if isinstance(answer, str):
        answer = answer.strip()  # "r0042 " copied with a space is still the right id
    if not isinstance(answer, str) or answer not in ids:
        return False, f"give the id of one review in the test split (like {ids[0]!r})."
    if answer == best["text"]:
        return True, f"{answer} is the closest review to the query, by cosine similarity of the review texts."
    if answer == best["title. text"]:
        return True, f"{answer} is the closest review when the title is embedded with the text."
    position = ids.index(answer)
    top = scores["text"]
    return False, (f"{answer} scores {float(top[position]):.2f}; another review scores {float(top.max()):.2f}. "
                   "Encode the query and every review text, then take the argmax of the similarities.")


def expected_sentiment(text: str = LESSON04_TEXT) -> dict[str, float]:
    """What the sentiment pipeline returns for `text`, as {label: probability}."""
    from transformers import pipeline

    classifier = pipeline("sentiment-analysis", model=LESSON04_SENTIMENT_MODEL)
    return {row["label"]: row["score"] for row in classifier(text, top_k=None)}


@exercise("04.3")
def _direct_scores(answer) -> tuple[bool, str]:
    if not isinstance(answer, dict):
        return False, "give a dict {label: probability}, labels from model.config.id2label."
    expected = expected_sentiment()
    if set(answer) != set(expected):
        return False, f"use the label names as keys: {sorted(expected)} (model.config.id2label[i])."
    try:
        values = {label: float(v) for label, v in answer.items()}
    except (TypeError, ValueError):
        return False, "each value should be a number: float(probs[i])."
    if any(math.isnan(v) for v in values.values()) or abs(sum(values.values()) - 1) > 1e-3:
        return False, "these do not sum to 1: they look like logits. Apply softmax to the logits first."
    worst = max(abs(values[label] - expected[label]) for label in expected)
    if worst <= 1e-4:
        return True, "your tokenizer + model + softmax gives the pipeline's scores."
    return False, (f"a probability is off by {worst:.4f} from the pipeline's. Tokenize the text, run the model "
                   "under torch.no_grad(), softmax the logits of the one row, and map index i to id2label[i].")
