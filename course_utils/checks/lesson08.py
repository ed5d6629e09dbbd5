"""Checkers for lesson 08's exercises: a file size from bits per weight, the smallest format near F16, per-channel
int8 by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import exercise

# llama.cpp's quantization scoreboard (Llama-3-8B, 8.03B parameters): F16 14.97 GiB, Q8_0 7.96 GiB (8.5 bits/weight).
LLAMA3_8B_PARAMS = 8.03e9
SCOREBOARD_GIB = {16.0: 14.97, 8.5: 7.96}


def _call(fn, *args):
    try:
        return fn(*args), None
    except Exception as exc:  # noqa: BLE001 - any error is feedback, never a crashed checker
        return None, exc


@exercise("08.1")
def _file_size(answer) -> tuple[bool, str]:
    if not callable(answer):
        return False, "give a function file_size_gib(n_params, bits_per_weight) -> size in GiB."
    cases = [(LLAMA3_8B_PARAMS, bits) for bits in SCOREBOARD_GIB] + [(134_515_008, 16), (22_713_216, 32),
                                                                       (7.24e9, 4.5), (1e9, 2.0)]
    for n_params, bits in cases:
        got, error = _call(answer, n_params, bits)
        if error:
            return False, f"it raised {type(error).__name__}: {error}"
        try:
            got = float(got)
        except (TypeError, ValueError):
            return False, f"return a number (GiB), got {got!r}."
        expected = n_params * bits / 8 / 2**30
        if not math.isclose(got, expected, rel_tol=1e-3):
            hint = ""
            if math.isclose(got, n_params * bits / 8 / 1e9, rel_tol=1e-3):
                hint = " That is GB (1e9 bytes); a GiB is 2**30 bytes, 7% more."
            elif math.isclose(got, n_params * bits / 2**30, rel_tol=1e-3):
                hint = " Bits, not bytes: divide by 8."
            return False, (f"{n_params:,.0f} parameters at {bits} bits per weight: expected {expected:.3f} GiB, "
                           f"got {got:.3f}.{hint}")
    for bits, gib in SCOREBOARD_GIB.items():
        if not math.isclose(float(answer(LLAMA3_8B_PARAMS, bits)), gib, rel_tol=0.01):
            return False, f"at {bits} bits llama.cpp's Llama-3-8B file is {gib} GiB; your function is off by over 1%."
    return True, (f"it matches llama.cpp's Llama-3-8B files (F16 {answer(LLAMA3_8B_PARAMS, 16.0):.2f} GiB, Q8_0 "
                  f"{answer(LLAMA3_8B_PARAMS, 8.5):.2f} GiB) within 1%.")


def smallest_within(table: pd.DataFrame, tolerance: float = 0.01, reference: str = "GGUF F16") -> str:
    """The reference answer of 08.2: the smallest row whose perplexity is within `tolerance` of the reference row's."""
    scored = table.dropna(subset=["perplexity", "size_mb"])
    limit = scored.loc[reference, "perplexity"] * (1 + tolerance)
    return scored[scored["perplexity"] <= limit]["size_mb"].idxmin()


@exercise("08.2")
def _smallest_within(answer) -> tuple[bool, str]:
    if not callable(answer):
        return False, "give a function smallest_within(table, tolerance=0.01) -> the method's name (the index)."
    rng = np.random.default_rng(8)
    for _ in range(25):
        kinds = ["GGUF F16", "GGUF Q8_0", "GGUF Q5_K_M", "GGUF Q4_K_M", "GGUF Q4_0", "GGUF Q2_K", "float32"]
        base = float(rng.uniform(5, 60))
        sizes = np.sort(rng.uniform(50, 600, len(kinds)))[::-1]
        growth = np.concatenate([[0.0], np.sort(rng.uniform(-0.004, 0.2, len(kinds) - 1))])
        table = pd.DataFrame({"size_mb": sizes.round(1), "perplexity": (base * (1 + growth)).round(4)}, index=kinds)
        table.loc["float32", "size_mb"] = 2 * table.loc["GGUF F16", "size_mb"]
        table.loc["skipped format", ["size_mb", "perplexity"]] = [1.0, math.nan]  # never counts
        for tolerance in (0.01, 0.05):
            expected = smallest_within(table, tolerance)
            got, error = _call(answer, table.copy(), tolerance)
            if error:
                return False, f"it raised {type(error).__name__}: {error}"
            if got != expected:
                limit = table.loc["GGUF F16", "perplexity"] * (1 + tolerance)
                return False, (f"with tolerance {tolerance} you answered {got!r}, expected {expected!r}: the smallest "
                               f"size_mb among rows with perplexity <= {limit:.3f} (F16's x {1 + tolerance}). Rows "
                               "without a perplexity never count.")
    return True, "it finds the smallest format within the tolerance of F16's perplexity, skipping rows without one."


@exercise("08.3")
def _per_channel(answer) -> tuple[bool, str]:
    import torch

    if not callable(answer):
        return False, "give a function quantize_per_channel(w) -> (q, scales)."
    gen = torch.Generator().manual_seed(8)
    for rows, cols in ((16, 64), (48, 96), (5, 7)):
        w = torch.randn(rows, cols, generator=gen) * 0.02
        w[0] *= 50  # an outlier row: one scale for the whole tensor would flatten every other row
        got, error = _call(answer, w.clone())
        if error:
            return False, f"it raised {type(error).__name__}: {error}"
        try:
            q, scales = got
        except (TypeError, ValueError):
            return False, f"return a pair (q, scales), got {type(got).__name__}."
        if not isinstance(q, torch.Tensor) or q.dtype != torch.int8 or tuple(q.shape) != (rows, cols):
            return False, f"q must be a torch.int8 tensor of shape {(rows, cols)}, got {getattr(q, 'dtype', type(q))}."
        scales = torch.as_tensor(scales, dtype=torch.float32).reshape(-1)
        if scales.numel() != rows:
            return False, f"one scale per row: expected {rows} scales, got {scales.numel()}."
        if int(q.abs().max()) > 127:
            return False, "levels go from -127 to 127."
        approx = q.float() * scales[:, None]
        error_per_row = (approx - w).abs().amax(dim=1)
        if not bool((error_per_row <= scales / 2 + 1e-6).all()):
            return False, "some weights are further from q * scale than half a step: round to the nearest level."
        expected_scales = w.abs().amax(dim=1) / 127
        if not torch.allclose(scales, expected_scales, rtol=1e-3, atol=1e-9):
            return False, "each row's scale is its largest absolute weight divided by 127 (absmax)."
        ordinary = (approx[1:] - w[1:]).norm() / w[1:].norm()
        if float(ordinary) > 0.01:
            return False, f"the rows without outliers lost {float(ordinary):.1%} of their size: is the scale per row?"
    return True, "int8 per channel: every weight within half a step of its row's scale, outlier rows contained."
