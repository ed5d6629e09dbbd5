"""course_utils/plots.py (lesson 03 section 2): the top-k next tokens as a bar chart, bad inputs included."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from course_utils.plots import plot_top_k, top_k  # noqa: E402


class FakeTokenizer:
    def decode(self, ids):
        return "".join(f" tok{i}" for i in ids)


PROBS = [0.05, 0.4, 0.1, 0.3, 0.15]


def test_top_k_orders_by_probability():
    assert top_k(PROBS, 3) == [(1, 0.4), (3, 0.3), (4, 0.15)]
    assert top_k([0.25, 0.25, 0.5], 3) == [(2, 0.5), (0, 0.25), (1, 0.25)], "ties keep the lower id first"


def test_top_k_accepts_a_bfloat16_softmax():
    """transformers 5 loads checkpoints in their own dtype (bf16 for many): their softmax sums to 1 only roughly."""
    import torch

    logits = torch.zeros(49152, dtype=torch.bfloat16)
    logits[7], logits[3] = 2.0, 1.0
    probs = logits.softmax(dim=-1)
    assert probs.dtype == torch.bfloat16 and abs(probs.double().sum().item() - 1) > 1e-3, "rounding shows in the sum"
    assert [i for i, _ in top_k(probs, 2)] == [7, 3]


def test_top_k_takes_numpy_integers_for_k_but_not_bools():
    import numpy as np

    assert top_k(PROBS, np.int64(2)) == [(1, 0.4), (3, 0.3)]
    for bad in (True, False, 2.0, "2"):
        with pytest.raises(ValueError, match="k must be"):
            top_k(PROBS, bad)


def test_plot_top_k_draws_the_k_most_likely_tokens_most_likely_on_top():
    import matplotlib.pyplot as plt

    fig = plot_top_k(PROBS, FakeTokenizer(), k=3, title="test")
    ax = fig.axes[0]
    bars = ax.patches
    assert len(bars) == 3
    by_position = sorted(bars, key=lambda b: b.get_y())
    assert [round(b.get_width(), 6) for b in by_position] == [0.4, 0.3, 0.15]
    assert ax.yaxis_inverted(), "the first bar (most likely) is drawn at the top"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["' tok1' (1)", "' tok3' (3)", "' tok4' (4)"], "decoded text in quotes shows the leading space"
    assert ax.get_title() == "test"
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [pytest.approx(1 / len(PROBS))], "the uniform line"
    plt.close(fig)


def test_plot_top_k_accepts_a_torch_tensor_and_an_existing_axis():
    import matplotlib.pyplot as plt
    import torch

    fig, axes = plt.subplots(1, 2)
    returned = plot_top_k(torch.tensor(PROBS), FakeTokenizer(), k=2, ax=axes[1])
    assert returned is fig and len(axes[1].patches) == 2 and len(axes[0].patches) == 0
    plt.close(fig)


@pytest.mark.parametrize("probs, k, match", [
    ([2.0, -1.0, 0.5], 2, "apply softmax first"),
    ([0.2, 0.2], 1, "not probabilities"),
    ([[0.5, 0.5]], 1, r"probs\[0, -1\]"),
    (PROBS, 0, "k must be"),
    (PROBS, 6, "k must be"),
    ([], 1, "empty"),
])
def test_plot_top_k_explains_bad_input(probs, k, match):
    import numpy as np

    with pytest.raises(ValueError, match=match):
        plot_top_k(np.array(probs) if probs and isinstance(probs[0], list) else probs, FakeTokenizer(), k=k)
