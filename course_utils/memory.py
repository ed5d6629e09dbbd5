"""Memory math for open models (introduced in lesson 01, used by `choose_model` in lesson 02).

Memory to *load* a model is its parameter count times the bytes each parameter takes in the chosen
dtype. Generating text needs more: the KV cache keeps a key and a value vector per layer, per
key/value head, per token of context, per sequence in the batch. GB here means 10**9 bytes (the unit
GPU makers and the Hub use); 1 GiB = 1.074 GB.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

# Bytes per parameter. 4-bit formats also store a scale per block of weights and usually keep the
# embeddings in 16-bit, so real 4-bit checkpoints come out a little above 0.5 bytes per parameter.
BYTES_PER_PARAM: dict[str, float] = {
    "float32": 4.0,
    "float16": 2.0,
    "bfloat16": 2.0,
    "float8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
}
_ALIASES = {
    "fp32": "float32", "f32": "float32", "32-bit": "float32", "float": "float32",
    "fp16": "float16", "f16": "float16", "half": "float16", "16-bit": "float16",
    "bf16": "bfloat16",
    "fp8": "float8", "f8": "float8", "f8_e4m3": "float8", "f8_e5m2": "float8",  # F8_E4M3: safetensors metadata
    "float8_e4m3fn": "float8", "float8_e5m2": "float8", "float8_e4m3fnuz": "float8", "float8_e5m2fnuz": "float8",
    "i8": "int8", "8-bit": "int8", "8bit": "int8", "qint8": "int8",
    "4-bit": "int4", "4bit": "int4", "nf4": "int4", "fp4": "int4", "q4": "int4",
    "i64": "int64", "int64": "int64", "i32": "int32", "int32": "int32",
}
_INTEGER_BUFFERS = {"int64": 8.0, "int32": 4.0}
GB = 1e9


def normalize_dtype(dtype: Any) -> str:
    """'bf16', 'BF16' (safetensors), torch.bfloat16 or 'bfloat16' -> 'bfloat16'. ValueError if unknown."""
    name = str(dtype).removeprefix("torch.").strip().lower()
    name = _ALIASES.get(name, name)
    if name not in BYTES_PER_PARAM and name not in _INTEGER_BUFFERS:
        known = ", ".join(BYTES_PER_PARAM)
        raise ValueError(f"Unknown dtype {dtype!r}. Use one of {known} (or aliases such as fp32, fp16, bf16, 4bit).")
    return name


def bytes_per_parameter(dtype: Any) -> float:
    """How many bytes one parameter takes in `dtype` (see BYTES_PER_PARAM)."""
    name = normalize_dtype(dtype)
    return BYTES_PER_PARAM.get(name) or _INTEGER_BUFFERS[name]


def _check_count(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a non-negative number, got {value!r}.")
    return float(value)


def weights_gb(n_parameters: float, dtype: Any = "bfloat16") -> float:
    """Memory for the weights alone: parameters x bytes per parameter, in GB."""
    return _check_count(n_parameters, "n_parameters") * bytes_per_parameter(dtype) / GB


def _config_value(config: Any, *names: str) -> Any:
    for name in names:
        value = config.get(name) if isinstance(config, Mapping) else getattr(config, name, None)
        if value is not None:
            return value
    return None


def kv_cache_gb(config: Any, context_length: int, batch_size: int = 1, dtype: Any = "bfloat16") -> float:
    """KV cache of a decoder for `batch_size` sequences of `context_length` tokens, in GB.

    2 (key and value) x layers x key/value heads x head size x tokens x batch x bytes per value.
    `config` is a transformers config or a dict with the config.json names (Llama/Qwen or GPT-2 style).
    Multimodal configs keep the language model's values under `text_config`: that part is used.

    It assumes full attention in every layer, each caching all `context_length` tokens. That is exact
    for Llama, Qwen2 or GPT-2, and an overestimate for models that cache less: sliding-window layers
    (Gemma 2/3, the first Mistral 7B), multi-head latent attention (DeepSeek-V2/V3) when the engine caches
    the compressed latent, hybrids with linear-attention or state-space layers. Read the config first.
    """
    if hasattr(config, "get_text_config"):  # transformers config: the text (decoder) part of a multimodal one
        config = config.get_text_config(decoder=True)
    elif isinstance(config, Mapping) and isinstance(config.get("text_config"), Mapping):
        config = config["text_config"]
    layers = _config_value(config, "num_hidden_layers", "n_layer", "num_layers")
    heads = _config_value(config, "num_attention_heads", "n_head", "num_heads")
    if not layers or not heads:
        raise ValueError("The config needs num_hidden_layers and num_attention_heads (or n_layer and n_head); "
                         "pass the model's config (AutoConfig.from_pretrained(model_id)) or its config.json as a dict.")
    kv_heads = _config_value(config, "num_key_value_heads") or heads  # no grouped-query attention: one per head
    head_dim = _config_value(config, "head_dim")
    if not head_dim:
        hidden = _config_value(config, "hidden_size", "n_embd", "d_model")
        if not hidden:
            raise ValueError("The config needs head_dim or hidden_size (n_embd) to work out the head size.")
        head_dim = hidden // heads
    tokens = _check_count(context_length, "context_length")
    batch = _check_count(batch_size, "batch_size")
    return 2 * layers * kv_heads * head_dim * tokens * batch * bytes_per_parameter(dtype) / GB


def estimate_memory_gb(n_parameters: float, dtype: Any = "bfloat16", config: Any = None,
                       context_length: int = 0, batch_size: int = 1, kv_dtype: Any = None) -> float:
    """Weights in `dtype`, plus the KV cache when a config and a context length are given, in GB.

    Activations and the framework itself add a little more; leave some headroom (lesson 01).
    """
    total = weights_gb(n_parameters, dtype)
    if context_length:
        if config is None:
            raise ValueError("A KV-cache estimate needs the model's config (layers, heads, head size): pass config=.")
        total += kv_cache_gb(config, context_length, batch_size, kv_dtype or dtype)
    return total


def parameter_count(info: Any) -> int | None:
    """Parameters from a ModelInfo's safetensors metadata (`model_info` / `list_models(expand=["safetensors"])`).

    None when the repo has no safetensors metadata (older repos with only pytorch_model.bin).
    """
    st = getattr(info, "safetensors", None)
    if st is None:
        return None
    total = getattr(st, "total", None)
    return int(total) if total else None
