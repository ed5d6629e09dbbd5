"""Checkers for lesson 00's exercises."""

from __future__ import annotations

import functools

from . import as_index, exercise


@exercise("00.1")
def _device(answer) -> tuple[bool, str]:
    from ..environment import best_device

    expected = best_device()
    if str(answer).lower() == expected:
        return True, f"the lessons run on '{expected}' here."
    return False, "ask torch: torch.cuda.is_available(), then torch.backends.mps.is_available(), else 'cpu'."


def cached_repo_size_mb(repo_id: str) -> float | None:
    """Size on disk of one repo in the HF cache (all its revisions), in MB; None if not cached."""
    from huggingface_hub import scan_cache_dir

    for repo in scan_cache_dir().repos:
        if repo.repo_id == repo_id and repo.repo_type == "model":
            return repo.size_on_disk / 1e6
    return None


@exercise("00.2")
def _cache_size(answer) -> tuple[bool, str]:
    expected = cached_repo_size_mb("sentence-transformers/all-MiniLM-L6-v2")
    if expected is None:
        return False, "the model is not in your cache yet: run the section 5 cells first."
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return False, "give a number of megabytes, e.g. round(repo.size_on_disk / 1e6, 1)."
    if abs(value - expected) <= 0.05 * expected:
        return True, f"about {expected:.1f} MB on disk."
    hint = " (wrong unit? scan_cache_dir() reports bytes)" if not 0.5 < value / expected < 2 else ""
    return False, f"{value} is not within 5% of the size scan_cache_dir() reports{hint}."


LESSON00_QUERY = "The parcel took three weeks to arrive."
LESSON00_REVIEWS = [
    "The blender is loud but crushes ice in seconds.",
    "Shipping was painfully slow; I waited nearly a month for my order.",
    "These running shoes gave me blisters on the first day.",
    "Lovely soft fabric, the colour is exactly as pictured.",
]


@functools.lru_cache(maxsize=1)
def _minilm():
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2")


@exercise("00.3")
def _closest_review(answer) -> tuple[bool, str]:
    model = _minilm()
    scores = model.similarity(model.encode([LESSON00_QUERY]), model.encode(LESSON00_REVIEWS))[0]
    expected = int(scores.argmax())
    index = as_index(answer)
    if index is None:
        return False, f"got a {type(answer).__name__}; give a plain int index, e.g. int(scores.argmax())."
    answer = index
    if not 0 <= answer < len(LESSON00_REVIEWS):
        return False, f"give the index (0 to {len(LESSON00_REVIEWS) - 1}) of the closest review."
    if answer == expected:
        return True, f"review {expected} scores {float(scores[expected]):.2f}, the highest cosine similarity."
    return False, "encode the query and the reviews, then take the argmax of model.similarity(query, reviews)."
