"""Checkers for lesson 10's exercises: LoRA parameters of one layer, a JSON formatting function for TRL, the number of
last layers a parameter budget allows."""

from __future__ import annotations

import json

from . import exercise

CHAT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
# (in_features, out_features) of SmolLM2-135M's linear layers (hidden 576, 9 heads and 3 key/value heads of 64,
# MLP 1536); lesson 10 asserts these equal the shapes it reads from the model's config.
SMOLLM2_SHAPES = {"q_proj": (576, 576), "k_proj": (576, 192), "v_proj": (576, 192), "o_proj": (576, 576),
                  "gate_proj": (576, 1536), "up_proj": (576, 1536), "down_proj": (1536, 576)}
SMOLLM2_LAYERS = 30


def _call(fn, *args):
    try:
        return fn(*args), None
    except Exception as exc:  # noqa: BLE001 - any error is feedback, never a crashed checker
        return None, exc


def peft_count(in_features: int, out_features: int, r: int) -> int:
    """What peft adds to one nn.Linear(in_features, out_features) with LoRA of rank r."""
    import torch
    from peft import LoraConfig, get_peft_model

    class One(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(in_features, out_features)

        def forward(self, x):
            return self.layer(x)

    model = get_peft_model(One(), LoraConfig(r=r, lora_alpha=2 * r, target_modules=["layer"]))
    return model.get_nb_trainable_parameters()[0]


@exercise("10.1")
def _lora_count(answer) -> tuple[bool, str]:
    if not callable(answer):
        return False, "give a function lora_param_count(in_features, out_features, r) -> number of parameters."
    for in_features, out_features, r in [(576, 576, 8), (576, 192, 8), (1536, 576, 16), (64, 10, 1), (300, 7, 4)]:
        got, error = _call(answer, in_features, out_features, r)
        if error:
            return False, f"it raised {type(error).__name__}: {error}"
        expected = peft_count(in_features, out_features, r)
        if got != expected:
            hint = ""
            if got == r * in_features * out_features:
                hint = " That is a full r-times update; LoRA stores two thin matrices, A (r x in) and B (out x r)."
            elif got == in_features * out_features:
                hint = " That is the layer's own weight, which LoRA freezes."
            return False, (f"Linear({in_features}, {out_features}) with r={r}: peft adds {expected:,}, you said "
                           f"{got!r}.{hint}")
    return True, "it matches peft on five layer shapes and ranks: r x (in + out) per layer."


def _messages_ok(messages, roles) -> str | None:
    if not isinstance(messages, list) or [m.get("role") if isinstance(m, dict) else None for m in messages] != roles:
        return f"expected a list of messages with roles {roles}, got {messages!r:.200}"
    if not all(isinstance(m.get("content"), str) and m["content"].strip() for m in messages):
        return "every message needs non-empty text in 'content'"
    return None


@exercise("10.2")
def _json_example(answer) -> tuple[bool, str]:
    if not callable(answer):
        return False, "give a function to_json_example(text, label) -> {'prompt': [...], 'completion': [...]}."
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(CHAT_MODEL)
    cases = [("The battery died after two days.", "negative"), ("Works as described, nothing special.", "neutral"),
             ('Great "value" for money!', "positive")]
    for text, label in cases:
        got, error = _call(answer, text, label)
        if error:
            return False, f"it raised {type(error).__name__}: {error}"
        if not isinstance(got, dict) or set(got) != {"prompt", "completion"}:
            return False, f"return a dict with exactly the keys 'prompt' and 'completion', got {got!r:.200}"
        problem = _messages_ok(got["prompt"], ["system", "user"]) or _messages_ok(got["completion"], ["assistant"])
        if problem:
            return False, problem
        if text not in got["prompt"][1]["content"]:
            return False, "the user's turn must hold the review's text."
        if "json" not in got["prompt"][0]["content"].lower():
            return False, "the system message should ask for a JSON object (say 'JSON')."
        reply = got["completion"][0]["content"]
        try:
            parsed = json.loads(reply)
        except ValueError:
            return False, f"the completion {reply!r} is not valid JSON: use json.dumps."
        if parsed != {"sentiment": label}:
            return False, (f"for label {label!r} the completion should be {json.dumps({'sentiment': label})}, "
                           f"got {reply!r}")
        prompt_ids = tokenizer.apply_chat_template(got["prompt"], add_generation_prompt=True, return_dict=True)[
            "input_ids"]
        full_ids = tokenizer.apply_chat_template(got["prompt"] + got["completion"], return_dict=True)["input_ids"]
        if full_ids[:len(prompt_ids)] != prompt_ids:
            return False, "rendered with the chat template, the prompt is not a prefix of prompt + completion."
        trained = tokenizer.decode(full_ids[len(prompt_ids):])  # the tokens the loss would count (section 2)
        expected = json.dumps({"sentiment": label}) + "<|im_end|>\n"
        if trained != expected:
            return False, (f"the tokens after the prompt decode to {trained!r}, not {expected!r}: the completion "
                           "must be exactly the JSON object, with nothing around it.")
    return True, ("three reviews render as conversations whose prompt is a prefix of prompt + completion, and the "
                  "tokens after it, the ones the loss counts, are exactly the JSON object and <|im_end|>.")


def layers_within(budget: int, modules, r: int = 8) -> int:
    """The reference answer of 10.3."""
    per_layer = sum(r * (SMOLLM2_SHAPES[m][0] + SMOLLM2_SHAPES[m][1]) for m in modules)
    return min(SMOLLM2_LAYERS, budget // per_layer)


@exercise("10.3")
def _layers_within(answer) -> tuple[bool, str]:
    if not callable(answer):
        return False, "give a function layers_within(budget, modules, r=8) -> a number of layers (0 to 30)."
    all_linear = list(SMOLLM2_SHAPES)
    cases = [(500_000, all_linear, 8), (500_000, ["q_proj", "v_proj"], 8), (10_000, all_linear, 8),
             (10**9, ["q_proj"], 8), (814_080, all_linear, 8), (814_079, all_linear, 8), (200_000, ["down_proj"], 16),
             (0, ["q_proj"], 8)]
    for budget, modules, r in cases:
        got, error = _call(answer, budget, modules, r)
        if error:
            return False, f"it raised {type(error).__name__}: {error}"
        expected = layers_within(budget, modules, r)
        if got != expected:
            hint = ""
            if expected == SMOLLM2_LAYERS and isinstance(got, int) and got > SMOLLM2_LAYERS:
                hint = " SmolLM2 has only 30 layers."
            return False, f"budget {budget:,}, modules {modules}, r={r}: expected {expected}, got {got!r}.{hint}"
    return True, ("right on eight budgets; with 500,000 parameters: "
                  f"{layers_within(500_000, all_linear)} layers with all seven modules, "
                  f"{layers_within(500_000, ['q_proj', 'v_proj'])} with q_proj and v_proj.")
