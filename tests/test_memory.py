"""course_utils/memory.py (lesson 01 section 2, lesson 02 section 2): bytes per parameter, weights and KV-cache
memory, bad inputs included."""

from __future__ import annotations

import pytest

from course_utils.memory import bytes_per_parameter, estimate_memory_gb, kv_cache_gb, normalize_dtype, weights_gb

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


@pytest.mark.parametrize("dtype, expected", [("float32", 4), ("fp32", 4), ("F32", 4), ("bf16", 2), ("BF16", 2),
                                             ("torch.float16", 2), ("int8", 1), ("4bit", 0.5), ("nf4", 0.5)])
def test_bytes_per_parameter_and_aliases(dtype, expected):
    assert bytes_per_parameter(dtype) == expected


def test_torch_dtypes_are_accepted():
    import torch

    assert normalize_dtype(torch.bfloat16) == "bfloat16"
    assert bytes_per_parameter(torch.float32) == torch.empty(0, dtype=torch.float32).element_size()


def test_rule_of_thumb():
    assert weights_gb(1e9, "bf16") == pytest.approx(2.0)
    assert weights_gb(1e9, "int4") < 1.0
    assert weights_gb(8e9, "fp32") == pytest.approx(2 * weights_gb(8e9, "bf16"))


def test_float8_is_one_byte():
    import torch

    for name in ("F8_E4M3", "F8_E5M2", "fp8", "float8", torch.float8_e4m3fn, torch.float8_e5m2):
        assert normalize_dtype(name) == "float8"
        assert bytes_per_parameter(name) == 1
    assert bytes_per_parameter(torch.float8_e4m3fn) == torch.empty(0, dtype=torch.float8_e4m3fn).element_size()
    assert weights_gb(8e9, "F8_E4M3") == pytest.approx(weights_gb(8e9, "bf16") / 2)


@pytest.mark.parametrize("dtype", ["float8-ish", "int3", "", None])
def test_unknown_dtype_is_a_clear_error(dtype):
    with pytest.raises(ValueError, match="Unknown dtype .* Use one of float32"):
        weights_gb(1e9, dtype)


@pytest.mark.parametrize("n", [-1, float("nan"), float("inf"), "7B", True])
def test_bad_parameter_counts(n):
    with pytest.raises(ValueError, match="n_parameters must be a non-negative number"):
        weights_gb(n, "bf16")


LLAMA_8B = {"num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "hidden_size": 4096}


def test_kv_cache_formula_for_a_known_config():
    # 2 x 32 layers x 8 kv heads x 128 head size x 2 bytes = 128 KiB per token
    assert kv_cache_gb(LLAMA_8B, 1, 1, "bf16") * 1e9 == 131072
    assert kv_cache_gb(LLAMA_8B, 8192, 4, "bf16") == pytest.approx(4 * 8192 * 131072 / 1e9)
    no_gqa = {**LLAMA_8B, "num_key_value_heads": None}
    assert kv_cache_gb(no_gqa, 100, 1) == pytest.approx(4 * kv_cache_gb(LLAMA_8B, 100, 1))
    gpt2_style = {"n_layer": 12, "n_head": 12, "n_embd": 768}
    assert kv_cache_gb(gpt2_style, 1024, 1, "fp32") * 1e9 == 2 * 12 * 12 * 64 * 1024 * 4


def test_kv_cache_reads_the_text_config_of_multimodal_configs():
    from transformers import LlamaConfig, LlavaConfig

    text = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=3, num_attention_heads=4,
                       num_key_value_heads=2, head_dim=32)
    multimodal = LlavaConfig(text_config=text)
    assert getattr(multimodal, "num_hidden_layers", None) is None  # the values live under text_config
    assert kv_cache_gb(multimodal, 100, 2) == pytest.approx(kv_cache_gb(text, 100, 2))
    assert kv_cache_gb(text, 1, 1, "fp32") * 1e9 == 2 * 3 * 2 * 32 * 4  # explicit head_dim wins over 64 // 4
    as_dict = {"model_type": "llava", "text_config": {**LLAMA_8B}}
    assert kv_cache_gb(as_dict, 10) == pytest.approx(kv_cache_gb(LLAMA_8B, 10))


def test_kv_cache_matches_a_real_cache():
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                         num_attention_heads=4, num_key_value_heads=2)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():
        cache = model(torch.randint(0, 100, (3, 17)), use_cache=True).past_key_values
    measured = sum(t.numel() * t.element_size() for layer in cache.layers for t in (layer.keys, layer.values))
    assert measured == pytest.approx(kv_cache_gb(config, 17, 3, "float32") * 1e9)


def test_estimate_is_weights_plus_cache_and_needs_a_config_for_the_cache():
    total = estimate_memory_gb(8e9, "bf16", config=LLAMA_8B, context_length=1000, batch_size=2)
    assert total == pytest.approx(weights_gb(8e9, "bf16") + kv_cache_gb(LLAMA_8B, 1000, 2, "bf16"))
    assert estimate_memory_gb(8e9, "bf16") == weights_gb(8e9, "bf16")
    with pytest.raises(ValueError, match="needs the model's config"):
        estimate_memory_gb(8e9, "bf16", context_length=1000)
    with pytest.raises(ValueError, match="num_hidden_layers"):
        kv_cache_gb({"hidden_size": 64}, 10)
    with pytest.raises(ValueError, match="context_length"):
        kv_cache_gb(LLAMA_8B, -5)


def test_parameter_count_from_model_info(hf_api):
    from types import SimpleNamespace

    from course_utils.memory import parameter_count

    assert parameter_count(hf_api.model_info("meta-llama/Llama-3.1-8B-Instruct")) == 8030261248
    assert parameter_count(SimpleNamespace(safetensors=None)) is None  # repos without safetensors metadata
    assert parameter_count(SimpleNamespace()) is None


def test_estimate_matches_a_loaded_model(hf_api):
    import torch
    from transformers import AutoModel

    from course_utils.memory import parameter_count

    n = parameter_count(hf_api.model_info(MINILM))
    for dtype in (torch.float32, torch.bfloat16):
        footprint = AutoModel.from_pretrained(MINILM, dtype=dtype).get_memory_footprint()
        assert footprint == pytest.approx(weights_gb(n, dtype) * 1e9, rel=0.01)
