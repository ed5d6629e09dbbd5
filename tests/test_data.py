"""course_utils/data.py (lesson 04 section 2, lesson 05 section 4): the course reviews dataset, loaded the way
a learner loads any Hub dataset, and load_reviews() with its fallback to the repository's copy."""

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


def _load_reviews_against(endpoint: str, hf_home) -> str:
    """Run course_utils.data.load_reviews in a fresh interpreter (HF_ENDPOINT is read at import)."""
    import os
    import subprocess
    import sys

    code = "from course_utils.data import load_reviews; r = load_reviews(); print(len(r['train']), len(r['test']))"
    env = {**os.environ, "HF_ENDPOINT": endpoint, "HF_HOME": str(hf_home)}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def test_load_reviews_falls_back_to_the_repository_copy(tmp_path, reviews):
    """Online the dataset may not be published yet: a hub without it still gives the same splits, and says so."""
    from course_offline.hub import CourseHub

    (tmp_path / "empty-hub").mkdir()
    with CourseHub(tmp_path / "empty-hub", port=0) as empty:
        out = _load_reviews_against(empty.url, tmp_path / "hf-home")
    assert "reviews: data/reviews in the course folder" in out
    assert out.split()[-2:] == [str(len(reviews["train"])), str(len(reviews["test"]))]


def test_load_reviews_prefers_the_hub(hub, tmp_path, reviews):
    out = _load_reviews_against(hub.url, tmp_path / "hf-home")
    assert f"reviews: open-models-course/product-reviews from {hub.url}" in out
    assert out.split()[-2:] == [str(len(reviews["train"])), str(len(reviews["test"]))]
