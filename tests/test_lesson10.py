"""Lesson 10 (LoRA instruction tuning): its exercise checkers accept the solutions and reject near misses. The whole
lesson runs in tests/test_notebooks.py at small settings, where it asserts that the training loss falls, that TRL's
loss mask equals the one computed by hand, that the adapter reloads bitwise and the merged model is close, and that
the GGUF of the merged model answers through llama.cpp's server."""

from __future__ import annotations

import json

from course_utils.checks import check
from course_utils.checks.lesson10 import SMOLLM2_SHAPES, layers_within, peft_count


def lora_param_count(in_features, out_features, r):
    return r * (in_features + out_features)


def test_peft_count_is_r_times_in_plus_out():
    assert peft_count(576, 192, 8) == 8 * (576 + 192)
    assert peft_count(10, 3, 2) == 2 * 13


def test_shapes_are_smollm2s(hub):
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct")
    heads, kv, dim = config.num_attention_heads, config.num_key_value_heads, config.head_dim
    assert SMOLLM2_SHAPES["q_proj"] == (config.hidden_size, heads * dim)
    assert SMOLLM2_SHAPES["k_proj"] == SMOLLM2_SHAPES["v_proj"] == (config.hidden_size, kv * dim)
    assert SMOLLM2_SHAPES["down_proj"] == (config.intermediate_size, config.hidden_size)
    assert config.num_hidden_layers == 30


def test_checker_10_1_accepts_the_formula_and_explains_misses(capsys):
    assert check("10.1", lora_param_count) is True
    assert check("10.1", lambda i, o, r: r * i * o) is False
    assert "two thin matrices" in capsys.readouterr().out
    assert check("10.1", lambda i, o, r: i * o) is False
    assert check("10.1", lambda i, o, r: r * (i + o) + 1) is False
    assert check("10.1", 4608) is False


def _solution(text, label):
    system = 'Classify the sentiment of the product review. Reply with a JSON object: {"sentiment": "..."}.'
    return {"prompt": [{"role": "system", "content": system}, {"role": "user", "content": text}],
            "completion": [{"role": "assistant", "content": json.dumps({"sentiment": label})}]}


def test_checker_10_2_accepts_the_solution_and_rejects_near_misses(hub, capsys):
    assert check("10.2", _solution) is True

    def not_json(text, label):
        example = _solution(text, label)
        example["completion"][0]["content"] = f"{{sentiment: {label}}}"
        return example

    def wrong_label(text, label):
        example = _solution(text, label)
        example["completion"][0]["content"] = json.dumps({"sentiment": "positive"})
        return example

    def no_system(text, label):
        example = _solution(text, label)
        example["prompt"] = example["prompt"][1:]
        return example

    def text_missing(text, label):
        example = _solution(text, label)
        example["prompt"][1]["content"] = "a review"
        return example

    def completion_as_text(text, label):
        example = _solution(text, label)
        example["completion"] = json.dumps({"sentiment": label})
        return example

    def padded_json(text, label):  # still valid JSON with the right value, but not exactly json.dumps
        example = _solution(text, label)
        example["completion"][0]["content"] = " " + json.dumps({"sentiment": label}) + "\n"
        return example

    for wrong in (not_json, wrong_label, no_system, text_missing, completion_as_text, padded_json):
        assert check("10.2", wrong) is False, wrong.__name__
    assert check("10.2", lambda text, label: 1 / 0) is False
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_reference_layers_within():
    all_linear = list(SMOLLM2_SHAPES)
    assert layers_within(814_080, all_linear) == 10  # the lesson's default: 10 layers, 814,080 parameters
    assert layers_within(814_079, all_linear) == 9
    assert layers_within(10**9, ["q_proj"]) == 30
    assert layers_within(0, ["q_proj"]) == 0


def test_checker_10_3_accepts_the_solution_and_rejects_near_misses():
    def solution(budget, modules, r=8):
        per_layer = sum(lora_param_count(*SMOLLM2_SHAPES[m], r) for m in modules)
        return min(30, budget // per_layer)

    def uncapped(budget, modules, r=8):
        return budget // sum(lora_param_count(*SMOLLM2_SHAPES[m], r) for m in modules)

    def rounds(budget, modules, r=8):
        return min(30, round(budget / sum(lora_param_count(*SMOLLM2_SHAPES[m], r) for m in modules)))

    def ignores_rank(budget, modules, r=8):
        return solution(budget, modules, 8)

    assert check("10.3", solution) is True
    for wrong in (uncapped, rounds, ignores_rank):
        assert check("10.3", wrong) is False, wrong.__name__
    assert check("10.3", 6) is False
