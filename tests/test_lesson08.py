"""Lesson 08 (quantization): its measurement helpers (course_utils/quantization.py), its exercise checkers, and the
relations it claims, on small inputs. The whole lesson runs in tests/test_notebooks.py, which asserts the relations on
the real SmolLM2 and MiniLM at small settings (GGUF sizes ordered, Q8_0 near F16, Q2_K clearly worse, decoding under
the bandwidth bound)."""

from __future__ import annotations

import math
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from course_utils.checks import check
from course_utils.checks.lesson08 import smallest_within
from course_utils.quantization import (
    PeakMemory,
    decode_bound,
    disk_bytes,
    memory_bandwidth,
    rss_bytes,
)

EMBED = "sentence-transformers/all-MiniLM-L6-v2"


# -- helpers ------------------------------------------------------------------------------------------------
def test_disk_bytes_counts_a_file_and_every_file_in_a_folder(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"x" * 1000)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.bin").write_bytes(b"y" * 234)
    assert disk_bytes(tmp_path / "a.bin") == 1000
    assert disk_bytes(tmp_path) == 1234
    with pytest.raises(FileNotFoundError):
        disk_bytes(tmp_path / "missing")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PeakMemory reads /proc (Linux only)")
def test_peak_memory_sees_a_temporary_allocation_and_forgets_earlier_ones():
    before = bytearray(150_000_000)  # a peak before the block must not count inside it
    before[::4096] = b"x" * len(before[::4096])
    del before
    with PeakMemory() as quiet:
        pass
    with PeakMemory() as busy:
        block = np.ones(100_000_000 // 8)  # 100 MB, touched
        del block
    assert quiet.mb is not None and quiet.mb < 50, quiet.mb
    assert 90 <= busy.mb < 250, busy.mb  # the peak, although the array is gone at the end
    assert rss_bytes() > 0


def test_memory_bandwidth_and_the_decoding_bound():
    measured = memory_bandwidth(mb=64, repeats=2)
    assert measured["gb_per_s"] >= measured["median_gb_per_s"] > 0 and measured["array_mb"] == pytest.approx(64)
    # 20 GB/s over 538 MB per token (SmolLM2 in float32) is at most 37 tokens/s; fewer bytes, a higher ceiling
    assert decode_bound(20, 538e6) == pytest.approx(37.17, rel=1e-3)
    assert decode_bound(20, 100e6) > decode_bound(20, 538e6)
    with pytest.raises(ValueError):
        decode_bound(20, 0)


# -- relations the lesson claims, on small inputs ----------------------------------------------------------
def test_dynamic_int8_minilm_is_smaller_and_keeps_its_embeddings(tmp_path):
    """Lesson 08 section 8: dynamic int8 MiniLM is smaller than float32, with cosine fidelity above 0.9."""
    import warnings

    from sentence_transformers import SentenceTransformer
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    texts = ["The battery died after two days.", "Great sound, fiddly case.", "Delivery was quick and well packed.",
             "It is fine, nothing special.", "Support never answered my emails."]
    fp32 = SentenceTransformer(EMBED)
    reference = fp32.encode(texts, normalize_embeddings=True)
    torch.save(fp32.state_dict(), tmp_path / "fp32.pt")
    for name, spec in (("tensor", {torch.nn.Linear}), ("channel", {torch.nn.Linear: per_channel_dynamic_qconfig})):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            int8 = quantize_dynamic(fp32, spec, dtype=torch.qint8)
        vectors = int8.encode(texts, normalize_embeddings=True)
        torch.save(int8.state_dict(), tmp_path / f"{name}.pt")
        assert disk_bytes(tmp_path / f"{name}.pt") < 0.75 * disk_bytes(tmp_path / "fp32.pt")
        fidelity = (vectors * reference).sum(axis=1)
        assert fidelity.mean() > 0.9 and fidelity.min() > 0.85, (name, fidelity)


# -- the checkers -------------------------------------------------------------------------------------------
def test_checker_08_1_accepts_the_formula_and_explains_gb_versus_gib(capsys):
    assert check("08.1", lambda n, bits: n * bits / 8 / 2**30) is True
    assert check("08.1", lambda n, bits: n * bits / 8 / 1e9) is False
    assert check("08.1", lambda n, bits: n * bits / 2**30) is False
    assert check("08.1", lambda n, bits: "big") is False
    assert check("08.1", 14.97) is False
    out = capsys.readouterr().out
    assert "[OK] Exercise 08.1" in out and "2**30" in out and "divide by 8" in out


def _ppl_table():
    return pd.DataFrame({"size_mb": [271.0, 145.0, 112.0, 105.0, 92.0, 88.0, 538.0, 50.0],
                         "perplexity": [49.5, 49.9, 54.4, 51.6, 58.2, 62.4, 49.5, math.nan]},
                        index=["GGUF F16", "GGUF Q8_0", "GGUF Q5_K_M", "GGUF Q4_K_M", "GGUF Q4_0", "GGUF Q2_K",
                               "float32", "skipped"])


def test_reference_smallest_within():
    table = _ppl_table()
    assert smallest_within(table, 0.01) == "GGUF Q8_0"  # 49.9 <= 49.995
    assert smallest_within(table, 0.05) == "GGUF Q4_K_M"  # Q5_K_M (54.4) is out, the smaller Q4_K_M (51.6) in
    assert smallest_within(table, 0.30) == "GGUF Q2_K"  # the NaN row never counts, though smaller


def test_checker_08_2_accepts_the_solution_and_rejects_near_misses(capsys):
    def solution(table, tolerance=0.01):
        scored = table.dropna(subset=["perplexity", "size_mb"])
        limit = scored.loc["GGUF F16", "perplexity"] * (1 + tolerance)
        return scored[scored["perplexity"] <= limit]["size_mb"].idxmin()

    def counts_nan_rows(table, tolerance=0.01):
        limit = table.loc["GGUF F16", "perplexity"] * (1 + tolerance)
        return table[~(table["perplexity"] > limit)]["size_mb"].idxmin()

    def best_perplexity(table, tolerance=0.01):
        return table["perplexity"].idxmin()

    assert check("08.2", solution) is True
    assert check("08.2", counts_nan_rows) is False
    assert check("08.2", best_perplexity) is False
    assert check("08.2", "GGUF Q8_0") is False
    assert "never count" in capsys.readouterr().out


def test_checker_08_3_wants_one_scale_per_row(capsys):
    def per_row(w):
        scales = w.abs().amax(dim=1) / 127
        return torch.round(w / scales[:, None]).clamp(-127, 127).to(torch.int8), scales

    def per_tensor(w):
        scale = w.abs().max() / 127
        return torch.round(w / scale).to(torch.int8), scale.repeat(w.shape[0])

    def truncates(w):
        scales = w.abs().amax(dim=1) / 127
        return (w / scales[:, None]).to(torch.int8), scales  # .to(int8) truncates towards zero

    def wrong_dtype(w):
        q, scales = per_row(w)
        return q.float(), scales

    assert check("08.3", per_row) is True
    assert check("08.3", per_tensor) is False
    assert check("08.3", truncates) is False
    assert check("08.3", wrong_dtype) is False
    out = capsys.readouterr().out
    assert "half a step" in out and "torch.int8" in out
