"""course_utils/finetune.py (lesson 09, sections 4 and 6): the training loop and the fresh-process memory run.

The loop is tested on a tiny random-weight BERT (seconds); the lesson itself trains the real all-MiniLM-L6-v2.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from course_utils.finetune import length_grouped_batches, predict, train_classifier

MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def test_length_grouped_batches_cover_every_item_once_and_are_seeded():
    lengths = [int(x) for x in torch.randint(3, 60, (203,), generator=torch.Generator().manual_seed(1))]
    batches = length_grouped_batches(lengths, 16, torch.Generator().manual_seed(0))
    assert sorted(i for b in batches for i in b) == list(range(203))
    assert all(len(b) <= 16 for b in batches)
    assert batches == length_grouped_batches(lengths, 16, torch.Generator().manual_seed(0))
    assert batches != length_grouped_batches(lengths, 16, torch.Generator().manual_seed(1))
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    order = torch.randperm(203, generator=torch.Generator().manual_seed(0)).tolist()
    random_padded = sum(16 * max(lengths[i] for i in order[s:s + 16]) for s in range(0, 203, 16))
    assert padded < 0.8 * random_padded  # grouping by length pads much less than random batches


@pytest.fixture(scope="module")
def tokenizer(hub):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(MODEL)


def tiny_classifier(seed=0):
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    return BertForSequenceClassification(BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2,
                                                    num_attention_heads=2, intermediate_size=64, num_labels=3))


def toy_task(n=48):
    words = {0: "awful broken refund", 1: "okay fine average", 2: "great love perfect"}
    texts = [f"{words[i % 3]} item number {i}" for i in range(n)]
    return texts, [i % 3 for i in range(n)]


def test_train_classifier_learns_is_repeatable_and_reports_epochs(tokenizer):
    train = toy_task()
    first = train_classifier(tiny_classifier(), tokenizer, train, train, epochs=4, lr=3e-3, batch_size=8,
                             seed=0, log=None)
    again = train_classifier(tiny_classifier(), tokenizer, train, train, epochs=4, lr=3e-3, batch_size=8,
                             seed=0, log=None)
    assert first["step_loss"] == again["step_loss"]  # same seed, same run, bit for bit
    assert len(first["step_loss"]) == 4 * 6 and [e["epoch"] for e in first["epochs"]] == [1, 2, 3, 4]
    assert first["epochs"][-1]["train_loss"] < first["epochs"][0]["train_loss"]
    assert all(0 <= e["val_accuracy"] <= 1 for e in first["epochs"])  # learning well is the lesson's claim
    assert all(e["seconds"] > 0 for e in first["epochs"])


def test_train_classifier_updates_only_trainable_parameters_and_stops_at_max_steps(tokenizer):
    from peft import LoraConfig, TaskType, get_peft_model

    model = get_peft_model(tiny_classifier(), LoraConfig(task_type=TaskType.SEQ_CLS, r=4, lora_alpha=8,
                                                         target_modules=["query", "value"]))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    history = train_classifier(model, tokenizer, toy_task(), None, epochs=3, lr=1e-2, batch_size=8, max_steps=5,
                               log=None)
    assert len(history["step_loss"]) == 5 and history["epochs"][0]["val_accuracy"] is None
    for name, p in model.named_parameters():
        assert torch.equal(p, before[name]) != p.requires_grad, name  # trained ones moved, frozen ones did not
    assert len(predict(model, tokenizer, toy_task()[0][:10])) == 10


def test_memory_run_in_a_fresh_process(hub):
    out = subprocess.run([sys.executable, "-m", "course_utils.finetune", "lora", "--steps", "1", "--batch-size",
                          "2"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["mode"] == "lora" and report["peak_rss_mb"] > 100 and 0 < report["trainable"] < 100_000
