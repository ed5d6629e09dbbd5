"""The course reviews, loaded the Hub way (lesson 04, section 2, writes this first).

`open-models-course/product-reviews` lives in the course hub. Until it is published on huggingface.co, an online
learner's `load_dataset` finds no such repo; the same files, with the dataset card whose `configs` tell `datasets`
the splits, ship in this repository under data/reviews, so the lesson loads those instead and says so in one line.
"""

from __future__ import annotations

import os

from .paths import data_dir

REVIEWS_DATASET = "open-models-course/product-reviews"


def load_reviews(split: str | None = None, verbose: bool = True):
    """`load_dataset(REVIEWS_DATASET, split=split)`, or the repository's copy when the Hub has no such dataset."""
    from datasets import load_dataset
    from datasets.exceptions import DatasetNotFoundError

    try:
        reviews = load_dataset(REVIEWS_DATASET, split=split)
        where = f"{REVIEWS_DATASET} from {os.environ.get('HF_ENDPOINT', 'https://huggingface.co')}"
    except DatasetNotFoundError:
        reviews = load_dataset(str(data_dir() / "reviews"), split=split)
        where = f"data/reviews in the course folder ({REVIEWS_DATASET} is not on this hub)"
    if verbose:
        print(f"reviews: {where}")
    return reviews
