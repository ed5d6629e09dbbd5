"""Plots, introduced in lesson 03: the top-k next tokens as a bar chart.

The lesson computes the probabilities itself (logits, then softmax); this only draws them.
"""

from __future__ import annotations

import math
import operator


def _as_list(probs) -> list[float]:
    if hasattr(probs, "detach"):  # a torch tensor
        probs = probs.detach().float().cpu().numpy()
    if hasattr(probs, "ndim") and probs.ndim != 1:
        raise ValueError(f"plot_top_k needs the distribution of one position (a 1-D vector), got shape "
                         f"{tuple(probs.shape)}: pass e.g. probs[0, -1] for the next token of the first sequence.")
    values = [float(p) for p in probs]
    if not values:
        raise ValueError("plot_top_k got an empty vector of probabilities.")
    return values


def top_k(probs, k: int = 10) -> list[tuple[int, float]]:
    """The k most likely (token id, probability) pairs, most likely first. Ties keep the lower id first."""
    values = _as_list(probs)
    try:
        k_int = None if isinstance(k, bool) else operator.index(k)  # ints and numpy ints, not True/False
    except TypeError:
        k_int = None
    if k_int is None or not 1 <= k_int <= len(values):
        raise ValueError(f"k must be a whole number from 1 to {len(values)} (the vocabulary size), got {k!r}.")
    k = k_int
    # 1e-2, not tighter: rounding makes a bfloat16 softmax over a large vocabulary miss 1 by more than 1e-3
    if any(math.isnan(v) or v < 0 or v > 1 for v in values) or abs(sum(values) - 1) > 1e-2:
        raise ValueError("These are not probabilities (each in [0, 1], summing to 1). If they are logits, "
                         "apply softmax first: logits[0, -1].softmax(dim=-1).")
    order = sorted(range(len(values)), key=lambda i: (-values[i], i))
    return [(i, values[i]) for i in order[:k]]


def token_label(tokenizer, token_id: int) -> str:
    """How a token is shown on the chart: its decoded text in quotes, so leading spaces and newlines show."""
    return repr(tokenizer.decode([token_id]))


def plot_top_k(probs, tokenizer, k: int = 10, title: str | None = None, ax=None):
    """Horizontal bars of the k most likely next tokens, most likely on top; returns the matplotlib Figure.

    A dashed line marks 1 / vocabulary size, the probability every token would get from a model that knows nothing.

    `probs` is one position's probability vector (torch or numpy), `tokenizer` decodes the ids to labels.
    Pass `ax` to draw into an existing subplot (e.g. to compare two temperatures side by side).
    """
    all_values = _as_list(probs)
    pairs = top_k(all_values, k)
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 0.35 * k + 1.2))
    else:
        fig = ax.figure
    labels = [f"{token_label(tokenizer, i)} ({i})" for i, _ in pairs]
    values = [p for _, p in pairs]
    bars = ax.barh(range(k), values, color="tab:blue")
    ax.set_yticks(range(k), labels)
    ax.invert_yaxis()  # most likely on top
    ax.set_xlabel("probability (dashed line: 1 / vocabulary size)")
    uniform = 1 / len(all_values)
    ax.axvline(uniform, color="grey", linestyle="--", linewidth=1)
    ax.set_xlim(0, max(max(values), uniform) * 1.3)
    ax.bar_label(bars, labels=[f"{100 * p:.3g}%" for p in values], padding=2, fontsize=8)
    ax.set_title(title or f"Top {k} next tokens")
    fig.tight_layout()
    return fig
