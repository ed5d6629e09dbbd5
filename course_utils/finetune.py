"""Fine-tuning a sequence classifier on a CPU with a plain PyTorch loop (lesson 09, section 4, writes it first).

    batches = length_grouped_batches(lengths, batch_size, generator)   # shuffled, little padding
    history = train_classifier(model, tokenizer, train, validation, epochs=4, lr=3e-3, seed=0)
    predict(model, tokenizer, texts)                                    # class numbers

`train` and `validation` are (texts, labels) pairs, labels as class numbers. The same loop trains a LoRA model
(only the parameters with `requires_grad` are optimized) and a fully fine-tuned one.

Run as a script, `python -m course_utils.finetune lora|full|load`, it loads the model in a fresh process, trains a
few steps on the longest training reviews and prints that process's memory as JSON: on Linux the peak while loading,
the resident memory after loading and the peak while training (the kernel's high-water mark `VmHWM`, reset at the
start and after loading); everywhere `ru_maxrss`, which on Linux also counts the parent's peak (a child inherits
it). Lesson 09, section 6, measures memory this way, because a notebook kernel's own peak is whatever it has held.
"""

from __future__ import annotations

import time

__all__ = ["length_grouped_batches", "predict", "train_classifier"]


def length_grouped_batches(lengths, batch_size, generator, group=4):
    """Shuffled batches of indices whose texts have similar lengths, so a padded batch wastes little.

    Shuffle all indices (seeded), cut them into chunks of `group` batches, sort each chunk by length, split it
    into batches, and shuffle the order of the batches.
    """
    import torch

    order = torch.randperm(len(lengths), generator=generator).tolist()
    chunk = batch_size * group
    batches = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk], key=lambda i: lengths[i])
        batches += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def predict(model, tokenizer, texts, max_length=64, batch_size=64):
    """Class numbers for `texts` (eval mode, no gradients)."""
    import torch

    was_training = model.training
    model.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            inputs = tokenizer(list(texts[i:i + batch_size]), padding=True, truncation=True, max_length=max_length,
                               return_tensors="pt")
            out += model(**inputs).logits.argmax(-1).tolist()
    model.train(was_training)
    return out


def train_classifier(model, tokenizer, train, validation, epochs=4, lr=3e-3, batch_size=16, max_length=64,
                     seed=0, warmup=0.1, max_steps=None, log=print):
    """Train with AdamW and a linear schedule (warm-up, then decay to 0); validation accuracy after every epoch.

    Returns {"step_loss": [...], "epochs": [{"epoch", "train_loss", "val_accuracy", "seconds"}]}; `seconds` is the
    training time of that epoch (the validation pass is not counted). `max_steps` stops early (tests, memory runs).
    """
    import torch
    from transformers import get_linear_schedule_with_warmup

    texts, labels = list(train[0]), list(train[1])
    encoded = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    lengths = [len(ids) for ids in encoded]
    torch.manual_seed(seed)  # dropout
    generator = torch.Generator().manual_seed(seed)  # the order of the batches
    steps_per_epoch = -(-len(texts) // batch_size)
    total = steps_per_epoch * epochs if max_steps is None else min(max_steps, steps_per_epoch * epochs)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    schedule = get_linear_schedule_with_warmup(optimizer, int(warmup * total), total)
    history, step = {"step_loss": [], "epochs": []}, 0
    model.train()
    for epoch in range(1, epochs + 1):
        start, losses = time.perf_counter(), []
        for batch in length_grouped_batches(lengths, batch_size, generator):
            inputs = tokenizer.pad({"input_ids": [encoded[i] for i in batch]}, return_tensors="pt")
            loss = model(**inputs, labels=torch.tensor([labels[i] for i in batch])).loss
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            step += 1
            if step >= total:
                break
        seconds = time.perf_counter() - start
        history["step_loss"] += losses
        val_accuracy = None
        if validation is not None:
            predicted = predict(model, tokenizer, list(validation[0]), max_length)
            val_accuracy = sum(p == y for p, y in zip(predicted, validation[1], strict=True)) / len(predicted)
        history["epochs"].append({"epoch": epoch, "train_loss": sum(losses) / len(losses),
                                  "val_accuracy": val_accuracy, "seconds": seconds})
        if log:
            val = "" if val_accuracy is None else f", validation accuracy {val_accuracy:.3f}"
            log(f"epoch {epoch}: train loss {sum(losses) / len(losses):.3f}{val} ({seconds:.1f} s)")
        if step >= total:
            break
    model.eval()
    return history


def _peak_rss_mb() -> float:
    """This process's peak resident memory in MB since it started (ru_maxrss: KB on Linux, bytes on macOS)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def _status_mb(field: str) -> float | None:
    """A memory field of /proc/self/status in MB (VmRSS: now, VmHWM: the peak); None where there is no /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark to the current RSS (Linux 4.0+: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _main(argv=None) -> None:
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["lora", "full", "load"])
    parser.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--r", type=int, default=8)
    parser.add_argument("--alpha", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from .data import load_reviews
    from .evaluate import LABELS

    start = time.perf_counter()
    _reset_peak()  # a child process starts with its parent's high-water mark (Linux): start from our own
    torch.manual_seed(args.seed)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForSequenceClassification.from_pretrained(
        args.model, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)})
    if args.mode == "lora":
        from peft import LoraConfig, TaskType, get_peft_model

        model = get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS, r=args.r, lora_alpha=args.alpha,
                                                 lora_dropout=0.1, target_modules=["query", "value"]))
    train = load_reviews("train", verbose=False) if args.mode != "load" else None
    load_peak, after_load = _status_mb("VmHWM"), _status_mb("VmRSS")
    reset = _reset_peak()
    if args.mode != "load":
        longest = sorted(range(len(train)), key=lambda i: -len(train[i]["text"]))[:args.steps * args.batch_size]
        texts = [train[i]["text"] for i in longest]  # the longest reviews: the largest activations of any epoch
        labels = [LABELS.index(train[i]["sentiment"]) for i in longest]
        train_classifier(model, tokenizer, (texts, labels), None, epochs=1, lr=args.lr, batch_size=args.batch_size,
                         max_length=args.max_length, seed=args.seed, max_steps=args.steps, log=None)
    training_peak = _status_mb("VmHWM") if reset and args.mode != "load" else None
    def mb(value):
        return None if value is None else round(value, 1)

    print(json.dumps({"mode": args.mode, "load_peak_mb": mb(load_peak), "after_load_mb": mb(after_load),
                      "training_peak_mb": mb(training_peak), "peak_rss_mb": mb(_peak_rss_mb()),
                      "seconds": round(time.perf_counter() - start, 1),
                      "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad)}))


if __name__ == "__main__":
    _main()
