"""One evaluation harness for any model (lesson 07, sections 2-3, writes it first; lessons 08-10 reuse it).

    results = run_model(model, items)            # per item: reply, prediction, error, latency, tokens
    summary = metrics(results)                   # accuracy and macro-F1 with 95% bootstrap intervals, ...

`model` is either a callable `text -> reply` (a str, or a dict with "text" and optional "prompt_tokens" /
"completion_tokens") or an OpenAI-compatible client (the `openai` client, or huggingface_hub's `InferenceClient`)
with `model_name=` and `prompt=` (a function text -> chat messages). An item is a dict with "id", "text" and
"label". A model that raises on an item gets that item counted as an error (a wrong answer), and the run goes on.

The summary task is scored against reference points (data/points): `point_coverage` says which points a summary
covers, by embedding similarity with a stated threshold (`calibrate_threshold` chooses one).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

__all__ = ["API_MODEL_NAMES", "CLOSED_MODELS", "LABELS", "LoglikClassifier", "bootstrap_ci", "calibrate_threshold",
           "closed_client", "cost_per_1000", "macro_f1", "metrics", "not_run_row", "pareto_front", "parse_label",
           "peak_rss_mb", "point_coverage", "run_model", "split_sentences"]

LABELS = ("negative", "neutral", "positive")
RESULT_COLUMNS = ["id", "label", "reply", "prediction", "error", "latency_s", "prompt_tokens", "completion_tokens"]


def parse_label(reply: str | None, labels: Sequence[str] = LABELS) -> str | None:
    """The first label word in the reply ("This review is positive." -> "positive"); None when there is none."""
    if not reply:
        return None
    found = re.search(r"\b(" + "|".join(map(re.escape, labels)) + r")\b", reply.lower())
    return found.group(1) if found else None


def _is_chat_client(model) -> bool:
    return (hasattr(model, "chat") and hasattr(model.chat, "completions")) or hasattr(model, "chat_completion")


def _ask(model, text: str, model_name: str | None, prompt: Callable | None, max_tokens: int) -> dict:
    """One call: {"text", "prompt_tokens", "completion_tokens"}, whatever kind of model it is."""
    if _is_chat_client(model):
        if model_name is None or prompt is None:
            raise ValueError("a chat client needs model_name= and prompt= (a function text -> messages)")
        messages = prompt(text)
        if hasattr(model, "chat_completion"):  # huggingface_hub.InferenceClient
            out = model.chat_completion(messages, model=model_name, max_tokens=max_tokens, temperature=0)
        else:  # the openai client, or anything shaped like it
            out = model.chat.completions.create(model=model_name, messages=messages, max_tokens=max_tokens,
                                                temperature=0)
        usage = out.usage
        return {"text": out.choices[0].message.content or "",
                "prompt_tokens": getattr(usage, "prompt_tokens", None),
                "completion_tokens": getattr(usage, "completion_tokens", None)}
    out = model(text)
    if isinstance(out, dict):
        return {"text": out.get("text"), "prompt_tokens": out.get("prompt_tokens"),
                "completion_tokens": out.get("completion_tokens")}
    return {"text": out, "prompt_tokens": None, "completion_tokens": None}


def run_model(model, items: Sequence[dict], model_name: str | None = None, prompt: Callable | None = None,
              max_tokens: int = 8, concurrency: int = 1, parse: Callable = parse_label) -> pd.DataFrame:
    """Run `model` on every item; one row per item (RESULT_COLUMNS), in item order.

    `concurrency` > 1 keeps that many requests in flight (threads). `latency_s` is each call's own wall time; the
    whole run's wall time is in `.attrs["wall_s"]` (throughput = items / wall_s).
    """

    def one(item: dict) -> dict:
        start = time.perf_counter()
        try:
            out = _ask(model, item["text"], model_name, prompt, max_tokens)
            error = None
        except Exception as exc:  # noqa: BLE001 - one failing item is a result, not the end of the run
            out = {"text": None, "prompt_tokens": None, "completion_tokens": None}
            error = f"{type(exc).__name__}: {exc}"
        latency = time.perf_counter() - start
        return {"id": item["id"], "label": item["label"], "reply": out["text"],
                "prediction": None if error else parse(out["text"]), "error": error, "latency_s": latency,
                "prompt_tokens": out["prompt_tokens"], "completion_tokens": out["completion_tokens"]}

    start = time.perf_counter()
    if concurrency > 1:
        with ThreadPoolExecutor(max_workers=int(concurrency)) as pool:
            rows = list(pool.map(one, items))
    else:
        rows = [one(item) for item in items]
    results = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    results.attrs["wall_s"] = time.perf_counter() - start
    results.attrs["concurrency"] = int(concurrency)
    return results


class LoglikClassifier:
    """Classify by log-likelihood (lesson 07, section 4): score each label as the continuation of a prompt and
    answer the most likely one, so the answer is always a valid label. `prompt(text)` ends where the label goes
    (e.g. "...Sentiment:"); each label is scored with a leading space, summed over its tokens.

    Called on a text it returns {"text": label, "prompt_tokens": n, "completion_tokens": 0}; `.scores(text)` gives
    the log-probability of every label.
    """

    def __init__(self, model, tokenizer, prompt: Callable[[str], str], labels: Sequence[str] = LABELS):
        self.model, self.tokenizer, self.prompt, self.labels = model, tokenizer, prompt, tuple(labels)
        self.label_ids = [tokenizer(" " + label, add_special_tokens=False)["input_ids"] for label in self.labels]

    def scores(self, text: str) -> dict[str, float]:
        import torch

        prompt_ids = self.tokenizer(self.prompt(text), return_tensors="pt")["input_ids"][0]
        self.last_prompt_tokens = len(prompt_ids)
        with torch.inference_mode():
            if all(len(ids) == 1 for ids in self.label_ids):  # one forward pass: the next-token distribution
                logits = self.model(prompt_ids[None], logits_to_keep=1).logits[0, -1]
                logprobs = torch.log_softmax(logits.float(), dim=-1)
                return {label: float(logprobs[ids[0]]) for label, ids in zip(self.labels, self.label_ids, strict=True)}
            out = {}
            # several tokens: score the whole continuation, one label at a time
            for label, ids in zip(self.labels, self.label_ids, strict=True):
                full = torch.cat([prompt_ids, torch.tensor(ids)])[None]
                logprobs = torch.log_softmax(self.model(full).logits[0, len(prompt_ids) - 1:-1].float(), dim=-1)
                out[label] = float(logprobs[torch.arange(len(ids)), torch.tensor(ids)].sum())
            return out

    def __call__(self, text: str) -> dict:
        scores = self.scores(text)
        return {"text": max(scores, key=scores.get), "prompt_tokens": self.last_prompt_tokens, "completion_tokens": 0}


# Closed models through their OpenAI-compatible endpoints: (provider, model, key variable, base URL). The model
# names are rows of data/prices/hosted_prices.csv; check them against each provider's model list before use.
CLOSED_MODELS = [
    ("OpenAI", "gpt-4o-mini", "OPENAI_API_KEY", "https://api.openai.com/v1"),
    ("Anthropic", "claude-3-5-haiku", "ANTHROPIC_API_KEY", "https://api.anthropic.com/v1/"),
    ("Google", "gemini-2.0-flash", "GEMINI_API_KEY", "https://generativelanguage.googleapis.com/v1beta/openai/"),
]
# Names the APIs take where the price table's name is a family (Anthropic's API wants a dated or -latest alias).
API_MODEL_NAMES = {"claude-3-5-haiku": "claude-3-5-haiku-latest"}


def closed_client(provider: str, key_variable: str, base_url: str, env=None, timeout: float = 30.0):
    """(an `openai` client for the provider, None) when its key is set; (None, why not) otherwise.

    The provider's URL can be changed like its key, by a variable named after it (OPENAI_API_KEY ->
    OPENAI_BASE_URL, as the `openai` client itself reads): for a proxy, or the tests' stand-ins.
    max_retries=0: the client's automatic retries would hide slow and failed calls inside the latencies.
    """
    import os

    env = os.environ if env is None else env
    key = (env.get(key_variable) or "").strip()
    if not key:
        return None, f"not run: no key ({key_variable} is not set in .env)"
    from openai import OpenAI

    base_url = (env.get(key_variable.replace("_API_KEY", "_BASE_URL")) or "").strip() or base_url
    return OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=timeout), None


def not_run_row(contestant: str, status: str, **fields) -> dict:
    """A table row for a contestant that did not run: its status says why, its measurements are missing (NaN)."""
    empty = {key: math.nan for key in ("n", "accuracy", "accuracy_low", "accuracy_high", "macro_f1", "macro_f1_low",
                                       "macro_f1_high", "invalid_rate", "error_rate", "p50_ms", "p95_ms",
                                       "items_per_s", "tokens_per_s")}
    return {"contestant": contestant, **empty, **fields, "status": status}


def _codes(values, labels: Sequence[str]) -> np.ndarray:
    """Labels as 0..k-1; anything else (None, an invalid answer) as k."""
    index = {label: i for i, label in enumerate(labels)}
    return np.array([index.get(v, len(labels)) for v in values], dtype=np.int64)


def macro_f1(gold, predicted, labels: Sequence[str] = LABELS) -> np.ndarray | float:
    """Macro-averaged F1 over `labels`. 1-d inputs give a float; 2-d (resamples x items) give one per row.

    An invalid prediction is wrong for every class (a false negative of the true one). A class with no gold and
    no predicted items has F1 0, as scikit-learn's `f1_score(..., zero_division=0)` does.
    """
    gold, predicted = np.asarray(gold), np.asarray(predicted)
    scores = []
    for k in range(len(labels)):
        tp = ((gold == k) & (predicted == k)).sum(axis=-1)
        fp = ((gold != k) & (predicted == k)).sum(axis=-1)
        fn = ((gold == k) & (predicted != k)).sum(axis=-1)
        denominator = 2 * tp + fp + fn
        scores.append(np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0))
    result = np.mean(scores, axis=0)
    return float(result) if result.ndim == 0 else result


def bootstrap_ci(gold, predicted, statistic: str = "accuracy", n_boot: int = 1000, level: float = 0.95,
                 seed: int = 0, labels: Sequence[str] = LABELS) -> tuple[float, float, float]:
    """(point estimate, low, high): the statistic on the items, and a percentile bootstrap interval.

    Resample the items with replacement `n_boot` times, compute the statistic on each resample, and take the
    (1 - level) / 2 and (1 + level) / 2 quantiles. `statistic`: "accuracy" or "macro_f1".
    """
    gold, predicted = _codes(gold, labels), _codes(predicted, labels)
    if len(gold) == 0:
        return math.nan, math.nan, math.nan
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(gold), size=(n_boot, len(gold)))
    if statistic == "accuracy":
        point, resampled = float((gold == predicted).mean()), (gold[picks] == predicted[picks]).mean(axis=1)
    elif statistic == "macro_f1":
        point, resampled = macro_f1(gold, predicted, labels), macro_f1(gold[picks], predicted[picks], labels)
    else:
        raise ValueError(f"statistic must be 'accuracy' or 'macro_f1', got {statistic!r}")
    low, high = np.quantile(resampled, [(1 - level) / 2, (1 + level) / 2])
    return point, float(min(low, point)), float(max(high, point))


def metrics(results: pd.DataFrame, n_boot: int = 1000, seed: int = 0, labels: Sequence[str] = LABELS) -> dict:
    """Quality, validity and speed of one run (a `run_model` table).

    accuracy and macro_f1 with 95% bootstrap intervals (errors and invalid answers count as wrong), invalid_rate
    (answered, but no label in the reply), error_rate (the call raised), latency p50/p95 in ms, items_per_s
    (items / the run's wall time) and tokens_per_s (generated tokens / the run's wall time, when counted).
    """
    gold, predicted = list(results["label"]), list(results["prediction"])
    accuracy, acc_low, acc_high = bootstrap_ci(gold, predicted, "accuracy", n_boot, seed=seed, labels=labels)
    f1, f1_low, f1_high = bootstrap_ci(gold, predicted, "macro_f1", n_boot, seed=seed, labels=labels)
    errors = results["error"].notna()
    latency_ms = results["latency_s"].to_numpy(dtype=float) * 1000
    wall_s = results.attrs.get("wall_s") or float(results["latency_s"].sum())
    generated = pd.to_numeric(results["completion_tokens"], errors="coerce")
    return {
        "n": len(results),
        "accuracy": accuracy, "accuracy_low": acc_low, "accuracy_high": acc_high,
        "macro_f1": f1, "macro_f1_low": f1_low, "macro_f1_high": f1_high,
        "invalid_rate": float((results["prediction"].isna() & ~errors).mean()) if len(results) else math.nan,
        "error_rate": float(errors.mean()) if len(results) else math.nan,
        "p50_ms": float(np.percentile(latency_ms, 50)) if len(results) else math.nan,
        "p95_ms": float(np.percentile(latency_ms, 95)) if len(results) else math.nan,
        "items_per_s": len(results) / wall_s if wall_s > 0 else math.nan,
        "tokens_per_s": float(generated.sum()) / wall_s if generated.notna().any() and wall_s > 0 else math.nan,
        "concurrency": results.attrs.get("concurrency", 1),
    }


def cost_per_1000(results: pd.DataFrame, input_usd_per_1m: float | None = None,
                  output_usd_per_1m: float | None = None, usd_per_hour: float | None = None) -> float:
    """USD per 1,000 items: hosted, the mean tokens per item x the per-token prices; local, the mean seconds per
    item x the machine's price per hour (busy time only: what a machine you own costs while it does this job)."""
    if input_usd_per_1m is not None and output_usd_per_1m is not None:
        prompt = pd.to_numeric(results["prompt_tokens"], errors="coerce").mean()
        completion = pd.to_numeric(results["completion_tokens"], errors="coerce").mean()
        return float((prompt * input_usd_per_1m + completion * output_usd_per_1m) / 1e6 * 1000)
    if usd_per_hour is not None:
        wall_s = results.attrs.get("wall_s") or float(results["latency_s"].sum())
        return float(wall_s / len(results) * usd_per_hour / 3600 * 1000)
    raise ValueError("give input_usd_per_1m and output_usd_per_1m (hosted) or usd_per_hour (local)")


def pareto_front(table: pd.DataFrame, quality: str, cost: str) -> pd.DataFrame:
    """The rows no other row beats on both counts (higher quality and lower cost), sorted by cost."""
    rows = table.dropna(subset=[quality, cost]).sort_values([cost, quality], ascending=[True, False])
    best, keep = -math.inf, []
    for index, row in rows.iterrows():
        if row[quality] > best:
            keep.append(index)
            best = row[quality]
    return rows.loc[keep]


def split_sentences(text: str) -> list[str]:
    """A summary as sentences or bullet lines (the units a point can be found in)."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text or "")
    return [p.strip(" -*•\t") for p in parts if len(p.strip(" -*•\t")) > 2]


def point_coverage(points: Sequence[str], summary: str, encoder, threshold: float) -> list[float]:
    """For each point, its best cosine similarity to any sentence of the summary (0 for an empty summary).

    A point is covered when that similarity is at least `threshold`. `encoder`: a SentenceTransformer.
    """
    sentences = split_sentences(summary)
    if not sentences or not points:
        return [0.0] * len(points)
    p = encoder.encode(list(points), normalize_embeddings=True)
    s = encoder.encode(sentences, normalize_embeddings=True)
    return [float(x) for x in (p @ s.T).max(axis=1)]


def calibrate_threshold(positive: Sequence[float], negative: Sequence[float]) -> float:
    """The threshold that best separates similarities that should count (positive) from ones that should not:
    the cut with the highest balanced accuracy, half-way between neighbouring scores."""
    pos, neg = np.asarray(positive, dtype=float), np.asarray(negative, dtype=float)
    scores = np.unique(np.concatenate([pos, neg]))
    cuts = (scores[:-1] + scores[1:]) / 2 if len(scores) > 1 else scores
    balanced = [((pos >= c).mean() + (neg < c).mean()) / 2 for c in cuts]
    return float(cuts[int(np.argmax(balanced))])


def peak_rss_mb(pid: int) -> float | None:
    """A process's peak resident memory in MB (Linux: VmHWM in /proc/PID/status); None where that is not readable."""
    try:
        with open(f"/proc/{int(pid)}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
