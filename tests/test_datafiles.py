"""course_utils/datafiles.py: every data file the course reads, checked row by row (reviews, catalogue, prices,
licences, prompts, lesson 07's summary points); a bad row is named by file, line and field."""

from __future__ import annotations

import pytest

from course_utils.datafiles import DataFileError, read_points, read_reviews


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


# -- lesson 07's summary points ----------------------------------------------------------------
def test_points_file_is_valid_and_matches_the_reviews():
    reviews = read_reviews()
    points = read_points(reviews=reviews)
    assert len(points) >= 12
    assert all(2 <= len(p["pros"]) <= 6 and 2 <= len(p["cons"]) <= 6 for p in points)


def test_points_file_errors_name_the_line(tmp_path):
    bad = tmp_path / "points.jsonl"
    bad.write_text('{"product_id": "p001", "product": "Wrong name", "pros": ["Good."], "cons": ["Bad."]}\n')
    with pytest.raises(DataFileError, match="line 1, field 'product'"):
        read_points(bad)
    bad.write_text('{"product_id": "p001", "product": "Lumora X2 Wireless Earbuds", "pros": [], "cons": ["Bad."]}\n')
    with pytest.raises(DataFileError, match="field 'pros'"):
        read_points(bad)
