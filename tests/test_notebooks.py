"""Every lesson is executed once per test run in each mode whose code differs, by the tool that does what only it does:

- lessons with cells whose stored outputs are checked (marked NBVAL_CHECK_OUTPUT: a tokenizer's ids, a greedy
  answer of a real model) are executed cell by cell by nbval, which compares those outputs (see conftest.py);
- every other lesson is executed with papermill through its `parameters` cell, as `make course` does, with
  smaller settings for the heavy ones (TEST_PARAMETERS): here against the course hub, and in tests/test_online.py
  against stand-ins of huggingface.co and the APIs. A lesson whose only online difference is where the course
  dataset comes from (`load_reviews`) runs online only: everything else it does is the same code against the same
  models, and the course hub's copy of the dataset is loaded by the lessons that run in both modes.

Lessons are discovered and sorted by `online_path`, so a new notebook is tested without editing this file.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from course_offline.runner import CHECKED_OUTPUT_MARK, execute_lesson, has_checked_outputs, lessons

# What makes a lesson's online run differ: branches on the mode (and the router's provider= form), or only the
# course dataset, which online comes from the repository's copy until it is published.
ONLINE_BRANCH_MARKERS = ("course.offline", "ONLINE")
DATASET_MARKERS = ("load_reviews", "product-reviews")


def online_path(path) -> str | None:
    """'branches', 'dataset' (only the course dataset differs online) or None (the same code in both modes)."""
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    if any(m in code for m in ONLINE_BRANCH_MARKERS):
        return "branches"
    return "dataset" if any(m in code for m in DATASET_MARKERS) else None


LESSONS = lessons()
PAPERMILL_LESSONS = [p for p in LESSONS if not has_checked_outputs(p) and online_path(p) != "dataset"]
ONLINE_LESSONS = [p for p in LESSONS if online_path(p)]
# Smaller settings for the tests (the lessons' defaults are what `make course` runs and the README times).
TEST_PARAMETERS: dict[str, dict] = {
    "07_comparing_models": {"n_items": 9, "n_served_items": 2, "n_concurrent_items": 2, "n_products": 1, "n_boot": 100,
                            "concurrency": 2, "summary_tokens": 16},
    "08_quantization": {"ppl_tokens": 128, "n_items": 4, "decode_tokens": 4, "timing_repeats": 1, "n_boot": 100,
                        "minilm_items": 16, "n_train": 100, "gguf_types": ["F16", "Q8_0", "Q4_K_M", "Q2_K"],
                        "config_methods": ["torchao int8 weight-only", "bitsandbytes nf4 + double quant"],
                        "minilm_methods": ["float32", "dynamic int8, per tensor", "dynamic int8, per channel",
                                           "bitsandbytes 8-bit"]},
    "09_lora_classification": {"max_train": 96, "n_seeds": 2, "epochs": 2, "full_epochs": 2, "trainer_epochs": 1,
                               "n_boot": 100},
    "10_instruction_tuning": {"n_items": 12, "max_steps": 8, "batch_size": 4, "timing_repeats": 1, "n_boot": 100,
                              "full_checks": False},
    "11_review_summarizer_app": {"max_tokens": 16, "n_reviews": 3, "n_batch": 2},
}


def test_lessons_are_discovered():
    assert LESSONS and LESSONS[0].name == "00_setup.ipynb"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_follows_the_template(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert nb.metadata.kernelspec.name == "open-models-course"
    assert "parameters" in code[0].metadata.get("tags", []), "the first code cell is the parameters cell"
    assert "setup(" in code[1].source, "the second code cell is the setup call"
    assert "By the end of this lesson you can" in text and "## Summary" in text and "## Exercises" in text
    assert "check(" in "\n".join(c.source for c in code), "exercises use course_utils checkers"
    unchecked = [c for c in code if CHECKED_OUTPUT_MARK not in c.source]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in unchecked), "commit lessons clean"
    checked = [c for c in code if CHECKED_OUTPUT_MARK in c.source]
    assert all(c.get("outputs") for c in checked), f"a {CHECKED_OUTPUT_MARK} cell keeps the output nbval compares"
    assert "sys.path" not in json.dumps(nb), "import course_utils as an installed package"


@pytest.mark.parametrize("path", PAPERMILL_LESSONS, ids=lambda p: p.stem)
def test_lesson_executes_with_papermill(path, tmp_path):
    run = execute_lesson(path, tmp_path, parameters={"seed": 0, **TEST_PARAMETERS.get(path.stem, {})})
    assert run.ok, run.error
    executed = nbformat.read(run.output, as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
