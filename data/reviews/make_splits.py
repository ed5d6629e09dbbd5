"""Re-create the deterministic, sentiment-stratified train/validation/test split.

Reads every review from the three split files, pools them, and re-splits them
70/15/15 per sentiment class with random.Random(0). Running it on the published
files reproduces them byte for byte (the script is idempotent).

    python data/reviews/make_splits.py
"""
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPLITS = ("train", "validation", "test")
KEYS = ("id", "product_id", "product", "category", "rating", "title", "text", "sentiment")
SENTIMENTS = ("negative", "neutral", "positive")


def sentiment_of(rating):
    return "negative" if rating <= 2 else "neutral" if rating == 3 else "positive"


def load_all():
    rows = []
    for split in SPLITS:
        path = HERE / f"{split}.jsonl"
        if path.exists():
            with path.open(encoding="utf-8") as f:
                rows += [json.loads(line) for line in f if line.strip()]
    return sorted(rows, key=lambda r: r["id"])


def split(rows, seed=0, val_frac=0.15, test_frac=0.15):
    rng = random.Random(seed)
    out = {s: [] for s in SPLITS}
    for sentiment in SENTIMENTS:
        group = [r for r in rows if r["sentiment"] == sentiment]
        rng.shuffle(group)
        n_val, n_test = round(len(group) * val_frac), round(len(group) * test_frac)
        out["validation"] += group[:n_val]
        out["test"] += group[n_val:n_val + n_test]
        out["train"] += group[n_val + n_test:]
    return {s: sorted(v, key=lambda r: r["id"]) for s, v in out.items()}


def write(splits):
    for name, rows in splits.items():
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8", newline="\n") as f:
            for r in rows:
                assert r["sentiment"] == sentiment_of(r["rating"]), r["id"]
                f.write(json.dumps({k: r[k] for k in KEYS}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    parts = split(load_all())
    write(parts)
    for name, rows in parts.items():
        print(name, len(rows))
