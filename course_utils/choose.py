"""`choose_model`: search the Hub for a task, keep what fits your memory and licences, rank by popularity.

Built step by step in lesson 02; later lessons call it. It works the same against huggingface.co and
the course hub: only `list_models` is used.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import pandas as pd

from .licences import licence_id
from .memory import estimate_memory_gb, normalize_dtype, parameter_count

COLUMNS = ["id", "parameters_b", "memory_gb", "licence_id", "downloads", "likes", "gated"]
EXPAND = ["safetensors", "downloads", "likes", "cardData", "gated", "pipeline_tag"]


def _candidates(api, task: str, candidates: int) -> list:
    return list(api.list_models(pipeline_tag=task, sort="downloads", limit=candidates, expand=EXPAND))


def choose_model(task: str, memory_budget_gb: float, allowed_licences: Iterable[str] | None = None, *,
                 dtype: Any = "bfloat16", candidates: int = 100, include_gated: bool = True,
                 api: Any = None) -> pd.DataFrame:
    """Models for `task` whose weights in `dtype` fit `memory_budget_gb`, with an allowed licence, most
    downloaded first (then most liked). The first row is the choice.

    - task: a Hub pipeline tag ("text-generation", "automatic-speech-recognition", ...).
    - memory_budget_gb: memory for the weights, in GB (leave headroom for the KV cache: lesson 01).
    - allowed_licences: licence ids ("apache-2.0", "mit", ...); None allows any licence.
    - candidates: how many of the task's most downloaded models to look at.
    Raises ValueError with what to change when the input is wrong or nothing qualifies.
    """
    if not isinstance(task, str) or not task.strip():
        raise ValueError("task must be a Hub pipeline tag such as 'text-generation' or 'text-classification'.")
    ok = isinstance(memory_budget_gb, numbers.Real) and not isinstance(memory_budget_gb, bool)
    if not ok or not math.isfinite(memory_budget_gb) or memory_budget_gb <= 0:
        raise ValueError(f"memory_budget_gb must be a positive number of GB (e.g. 8), got {memory_budget_gb!r}.")
    dtype = normalize_dtype(dtype)
    if isinstance(allowed_licences, str):
        allowed_licences = [allowed_licences]
    allowed = None if allowed_licences is None else {str(x).lower() for x in allowed_licences}
    if allowed is not None and not allowed:
        raise ValueError("allowed_licences is empty: list licence ids such as ['apache-2.0', 'mit'], or pass None.")
    if not isinstance(candidates, int) or candidates < 1:
        raise ValueError(f"candidates must be a positive integer, got {candidates!r}.")
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()

    found = _candidates(api, task.strip(), candidates)
    if not found:
        raise ValueError(f"No model on {api.endpoint} has the task (pipeline_tag) {task!r}. Check the spelling "
                         "against the task names on https://huggingface.co/tasks, e.g. 'text-generation', "
                         "'automatic-speech-recognition', 'text-to-image'.")
    rows, no_size, too_big, wrong_licence, gated = [], 0, [], 0, 0
    for m in found:
        params = parameter_count(m)
        if params is None:
            no_size += 1
            continue
        memory = estimate_memory_gb(params, dtype)
        licence = licence_id(m.card_data) or next(
            (t.split(":", 1)[1] for t in (m.tags or []) if t.startswith("license:")), None)
        if memory > memory_budget_gb:
            too_big.append(memory)
            continue
        if allowed is not None and licence not in allowed:
            wrong_licence += 1
            continue
        if m.gated and not include_gated:
            gated += 1
            continue
        rows.append({"id": m.id, "parameters_b": params / 1e9, "memory_gb": memory, "licence_id": licence,
                     "downloads": m.downloads or 0, "likes": m.likes or 0, "gated": bool(m.gated)})
    if not rows:
        smallest = f" (the smallest needs {min(too_big):.3g} GB in {dtype})" if too_big else ""
        licences = (f"{wrong_licence} with a licence outside {sorted(allowed)}" if allowed is not None
                    else "any licence allowed")
        raise ValueError(
            f"None of the {len(found)} most downloaded {task!r} models qualifies: {len(too_big)} too big for "
            f"{memory_budget_gb} GB{smallest}, {licences}, {gated} gated, {no_size} without a parameter count. "
            "Raise memory_budget_gb, pick a smaller dtype (e.g. 'int4'), allow more licences, or look at more "
            "candidates.")
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values(["downloads", "likes", "id"], ascending=[False, False, True], ignore_index=True)
