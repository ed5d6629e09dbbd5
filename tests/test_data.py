"""The course reviews dataset, loaded the way a learner loads any Hub dataset."""

from __future__ import annotations

import re
from collections import Counter

import pytest

SENTIMENT = {1: "negative", 2: "negative", 3: "neutral", 4: "positive", 5: "positive"}


@pytest.fixture(scope="module")
def reviews():
    from datasets import load_dataset

    return load_dataset("open-models-course/product-reviews")


def test_size_schema_and_labels(reviews):
    rows = [row for split in reviews.values() for row in split]
    assert len(rows) >= 600
    assert all(SENTIMENT[r["rating"]] == r["sentiment"] for r in rows)
    assert all(r["text"].strip() and r["title"].strip() and r["product"].strip() for r in rows)
    assert len({r["product_id"] for r in rows}) >= 50
    assert len({r["category"] for r in rows}) >= 10


def test_splits_are_disjoint_and_stratified(reviews):
    ids = [set(split["id"]) for split in reviews.values()]
    assert sum(len(s) for s in ids) == len(set().union(*ids))
    shares = {}
    for name, split in reviews.items():
        counts = Counter(split["sentiment"])
        shares[name] = {k: counts[k] / len(split) for k in ("negative", "neutral", "positive")}
    for name in ("validation", "test"):
        for label, share in shares[name].items():
            assert abs(share - shares["train"][label]) < 0.05, (name, label)


def test_no_duplicate_texts(reviews):
    def norm(text: str) -> str:
        return re.sub(r"[^a-z0-9 ]", "", text.lower())

    texts = [norm(t) for split in reviews.values() for t in split["text"]]
    assert len(texts) == len(set(texts))
