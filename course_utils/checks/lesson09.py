"""Checkers for lesson 09's exercises: LoRA parameters by hand, target modules for a budget, a merge by hand.

The expected answers are worked out here, on the learner's machine, from the model's real config (no weights
are downloaded: the model is built from its config, with random weights, only to count and name its layers).
"""

from __future__ import annotations

from functools import lru_cache

from . import as_index, exercise

LESSON09_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
LESSON09_NUM_LABELS = 3
LESSON09_RANK = 4  # exercise 09.1: LoRA rank on query and value
LESSON09_BUDGET = 100_000  # exercise 09.2: trainable parameters allowed, the classifier head included
LESSON09_LAYER_LINEARS = ("attention.self.query", "attention.self.key", "attention.self.value",
                          "attention.output.dense", "intermediate.dense", "output.dense")


@lru_cache(maxsize=1)
def _config():
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(LESSON09_MODEL, num_labels=LESSON09_NUM_LABELS)


def lora_model(r: int, target_modules, config=None):
    """A LoRA model (task SEQ_CLS, alpha = 2r) on the lesson's classifier built from `config` (random weights)."""
    import torch
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import AutoModelForSequenceClassification

    with torch.device("meta"):  # shapes only: no memory for the weights, nothing to initialize
        base = AutoModelForSequenceClassification.from_config(config or _config())
    return get_peft_model(base, LoraConfig(task_type=TaskType.SEQ_CLS, r=r, lora_alpha=2 * r,
                                           target_modules=target_modules))


def trainable_parameters(r: int, target_modules, config=None) -> tuple[int, int]:
    """(trainable, all) parameters as peft counts them (`get_nb_trainable_parameters`)."""
    return lora_model(r, target_modules, config).get_nb_trainable_parameters()


def adapted_layers(model) -> set[str]:
    """Names of the modules that got a LoRA update (those with a `lora_A`), without the peft prefixes."""
    return {name.removeprefix("base_model.model.") for name, module in model.named_modules()
            if hasattr(module, "lora_A") and len(module.lora_A)}


def expected_09_1(config=None) -> int:
    return trainable_parameters(LESSON09_RANK, ["query", "value"], config)[0]


@exercise("09.1")
def _count_by_hand(answer) -> tuple[bool, str]:
    config = _config()
    value = as_index(answer)
    if value is None:
        return False, f"give a whole number of parameters, got {answer!r}."
    expected = expected_09_1(config)
    hidden, layers = config.hidden_size, config.num_hidden_layers
    lora_only = LESSON09_RANK * (hidden + hidden) * 2 * layers
    head = hidden * LESSON09_NUM_LABELS + LESSON09_NUM_LABELS
    if value == expected:
        return True, (f"{value:,} = {LESSON09_RANK} x ({hidden} + {hidden}) x 2 modules x {layers} layers "
                      f"+ the head {head:,}, what peft counts.")
    if value == lora_only:
        return False, "that is the LoRA matrices alone: the new classifier head is trained too (modules_to_save)."
    if value == lora_only // 2 + head or value == lora_only // 2:
        return False, "two modules per layer are adapted: query and value."
    if value == lora_only // layers + head:
        return False, f"the model has {layers} layers, each with its own query and value."
    return False, (f"each adapted Linear(d_in, d_out) gets A (r x d_in) and B (d_out x r); here d_in = d_out = "
                   f"{hidden}, r = {LESSON09_RANK}. Add the head: {hidden} x {LESSON09_NUM_LABELS} weights + "
                   f"{LESSON09_NUM_LABELS} biases.")


@exercise("09.2")
def _budget(answer) -> tuple[bool, str]:
    if not isinstance(answer, dict) or "r" not in answer or "target_modules" not in answer:
        return False, 'give a dict {"r": rank, "target_modules": [...]}, the two LoraConfig arguments.'
    r = as_index(answer["r"])
    if r is None or r < 1:
        return False, f"r must be a whole number >= 1, got {answer['r']!r}."
    config = _config()
    try:
        model = lora_model(r, answer["target_modules"], config)
    except Exception as exc:  # noqa: BLE001 - peft's error is the feedback
        return False, f"peft refused these target_modules: {type(exc).__name__}: {exc}"
    wanted = {f"bert.encoder.layer.{i}.{name}" for i in range(config.num_hidden_layers)
              for name in LESSON09_LAYER_LINEARS}
    adapted = adapted_layers(model)
    missing = sorted(wanted - adapted)
    if missing:
        return False, (f"{len(missing)} linear layers of the encoder are not adapted, e.g. {missing[0]}: "
                       "every layer's query, key, value, attention output, intermediate and output.")
    trainable = model.get_nb_trainable_parameters()[0]
    if trainable > LESSON09_BUDGET:
        return False, f"{trainable:,} trainable parameters: over the budget of {LESSON09_BUDGET:,}. Lower r."
    if trainable_parameters(r + 1, answer["target_modules"], config)[0] <= LESSON09_BUDGET:
        return False, f"r = {r} fits ({trainable:,}), but a larger rank fits too: use the largest."
    return True, (f"r = {r} on all {len(adapted)} adapted layers: {trainable:,} trainable parameters "
                  f"(<= {LESSON09_BUDGET:,}); r = {r + 1} would not fit.")


@exercise("09.3")
def _merge_by_hand(answer) -> tuple[bool, str]:
    import torch
    from peft import LoraConfig, get_peft_model

    if not callable(answer):
        return False, "give a function merge(W, A, B, alpha, r) -> the merged weight."

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(24, 16)

        def forward(self, x):
            return self.lin(x)

    for r, alpha in ((4, 8), (2, 16)):
        torch.manual_seed(r)
        model = get_peft_model(Tiny(), LoraConfig(r=r, lora_alpha=alpha, target_modules=["lin"],
                                                  init_lora_weights=False))  # B random too, so BA is not 0
        layer = model.base_model.model.lin
        W = layer.base_layer.weight.detach().clone()
        A, B = layer.lora_A["default"].weight.detach().clone(), layer.lora_B["default"].weight.detach().clone()
        merged = model.merge_and_unload().lin.weight.detach()
        try:
            got = answer(W.clone(), A, B, alpha, r)
        except Exception as exc:  # noqa: BLE001 - any error is feedback
            return False, f"it raised {type(exc).__name__}: {exc}"
        got = torch.as_tensor(got)
        if tuple(got.shape) != tuple(W.shape):
            return False, f"the merged weight has W's shape {tuple(W.shape)}, got {tuple(got.shape)}."
        if torch.allclose(got, W + B @ A, atol=1e-6) and alpha != r:
            return False, "close: the update B @ A is scaled by alpha / r before it is added."
        if not torch.allclose(got, merged, atol=1e-5):
            return False, f"for r={r}, alpha={alpha} it differs from peft's merge by {(got - merged).abs().max():.2e}."
    return True, "W + (alpha / r) * B @ A: the same weight peft's merge_and_unload writes."
