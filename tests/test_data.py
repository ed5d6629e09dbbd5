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


# -- every data file, checked row by row (course_utils.datafiles) ---------------------------------------------
def test_every_data_file_the_course_reads_is_valid():
    from course_utils import datafiles as df
    from course_utils.paths import data_dir, repo_root

    splits = df.read_reviews()
    assert sum(len(rows) for rows in splits.values()) >= 600
    assert len(df.read_catalogue()["models"]) >= 50
    assert df.read_csv(data_dir() / "prices" / "hosted_prices.csv", df.HostedPrice)
    assert df.read_csv(data_dir() / "prices" / "local_hardware.csv", df.LocalHardware)
    assert df.read_csv(data_dir() / "licences" / "licence_families.csv", df.LicenceFamily)
    for prompt in (repo_root() / "prompts").glob("*.txt"):
        assert prompt.read_text(encoding="utf-8").strip(), prompt


@pytest.mark.parametrize("bad_line, expected", [
    ('{"id": "r9999", "product_id": "p001", "rating": ', "line 4: not valid JSON"),
    ('{"id": "r9999", "product_id": "p001", "product": "X", "category": "c", "rating": "five", "title": "t", '
     '"text": "x", "sentiment": "positive"}', "line 4 (r9999), field 'rating'"),
    ('{"id": "r9999", "product_id": "p001", "product": "X", "category": "c", "rating": 1, "title": "t", '
     '"text": "x", "sentiment": "positive"}', "does not match rating 1"),
    ('{"id": "r9999", "product_id": "p001", "product": "X", "category": "c", "rating": 5, "title": "t", '
     '"text": "", "sentiment": "positive"}', "field 'text'"),
])
def test_a_malformed_review_is_named_by_file_line_and_field(tmp_path, bad_line, expected):
    from course_utils.datafiles import DataFileError, read_reviews
    from course_utils.paths import data_dir

    for name in ("train", "validation", "test"):
        lines = (data_dir() / "reviews" / f"{name}.jsonl").read_text().splitlines()
        if name == "train":
            lines = lines[:3] + [bad_line]
        (tmp_path / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFileError) as err:
        read_reviews(tmp_path)
    assert "train.jsonl, line 4" in str(err.value) and expected in str(err.value)


def test_a_malformed_price_row_is_named(tmp_path):
    from course_utils.datafiles import DataFileError, HostedPrice, read_csv
    from course_utils.paths import data_dir

    lines = (data_dir() / "prices" / "hosted_prices.csv").read_text().splitlines()
    bad = tmp_path / "hosted_prices.csv"
    bad.write_text("\n".join(lines[:3] + ["OpenAI,gpt-x,false,,cheap,1.00,2025-06-01,https://openai.com/"]) + "\n")
    with pytest.raises(DataFileError, match=r"hosted_prices.csv, line 4, field 'input_usd_per_1m'"):
        read_csv(bad, HostedPrice)


def test_a_malformed_row_stops_the_hub_build_with_its_file_and_line_and_the_served_hub_stays(tmp_path):
    """A broken line in data/reviews: `python -m course_offline.hub build` names it; the hub already built is kept."""
    import os
    import shutil
    import subprocess
    import sys

    from course_utils.paths import repo_root

    clone = tmp_path / "course"
    for part in ("course_utils", "course_offline", "data", "pyproject.toml"):
        src = repo_root() / part
        (shutil.copytree if src.is_dir() else shutil.copyfile)(src, clone / part)
    train = clone / "data" / "reviews" / "train.jsonl"
    lines = train.read_text().splitlines()
    train.write_text("\n".join(lines + ['{"id": "r9999", "product_id": "p001", "rating": ']) + "\n")
    root = tmp_path / "hub"
    (root / "models" / "kept--repo").mkdir(parents=True)
    (root / "models" / "kept--repo" / "meta.json").write_text("{}")
    env = {**os.environ, "PYTHONPATH": str(clone)}
    run = subprocess.run([sys.executable, "-m", "course_offline.hub", "build", "--root", str(root)],
                         capture_output=True, text=True, env=env, cwd=clone, timeout=120)
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"data/reviews/train.jsonl, line {len(lines) + 1}: not valid JSON" in run.stderr
    assert "Traceback" not in run.stderr
    assert (root / "models" / "kept--repo" / "meta.json").exists(), "the hub being served is left as it was"
