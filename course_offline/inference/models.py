"""The models behind the course inference server: looked up on the Hub (HF_ENDPOINT), loaded once, run.

Lookups go through `huggingface_hub.model_info` and loading through `from_pretrained`, so the server serves
whatever Hub HF_ENDPOINT points at (offline: the course hub's real SmolLM2-135M-Instruct and all-MiniLM-L6-v2,
and random-weight stand-ins).
Nothing here imports transformers or huggingface_hub at module import: setup() must run first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

# Router policies that may follow the model id instead of a provider name ("id:fastest").
POLICIES = ("auto", "fastest", "cheapest", "preferred")
# Catalogue-only chat models (no weights in the course hub) that providers serve online are answered by the real
# SmolLM2-135M-Instruct (its weights ship offline): real text from a much smaller model; every such answer says
# so in X-Course-Served-By.
CHAT_STAND_IN = "HuggingFaceTB/SmolLM2-135M-Instruct"
CATALOGUE_ONLY_TAG = "course-catalogue-only"
MAX_NEW_TOKENS = 512


class InferenceError(Exception):
    """An error the server turns into an HTTP answer: status, message, optional headers."""

    def __init__(self, status: int, message: str, headers: dict | None = None, extra: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra or {}


@dataclass
class Resolved:
    """What a request's model string turned into."""

    requested: str  # as sent, e.g. "Qwen/Qwen2.5-7B-Instruct:together"
    model_id: str  # the Hub id, suffix removed
    provider: str  # the suffix, or "auto"
    served_by: str  # the repo whose weights answer
    pipeline_tag: str | None
    tags: list[str] = field(default_factory=list)

    @property
    def stand_in(self) -> bool:
        return self.served_by != self.model_id


def split_model(model: str) -> tuple[str, str]:
    """'org/name:provider' -> ('org/name', 'provider'); no suffix -> ('org/name', 'auto')."""
    name, sep, suffix = model.rpartition(":")
    if sep and name and "/" not in suffix:
        return name, suffix
    return model, "auto"


class ModelRegistry:
    """Hub lookups and loaded models, shared by every server in the process (loading happens once)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._info: dict[str, object] = {}
        self._loaded: dict[tuple[str, str], object] = {}

    # -- lookups ------------------------------------------------------------------------------------
    def info(self, model_id: str):
        from huggingface_hub import HfApi
        from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

        if model_id in self._info:
            return self._info[model_id]
        try:
            info = HfApi().model_info(model_id)
        except RepositoryNotFoundError:
            raise InferenceError(404, f"Model {model_id} does not exist. Check the id on the Hub "
                                      "(it is case-sensitive: org/name).") from None
        except HfHubHTTPError as exc:
            raise InferenceError(502, f"Could not look up {model_id} on the Hub: {exc}") from None
        self._info[model_id] = info
        return info

    def resolve(self, model: str, task: str | None = None) -> Resolved:
        """Check the model string the way the router does: exists, not gated, provider serves it."""
        if not isinstance(model, str) or not model.strip():
            raise InferenceError(422, "'model' is required: a Hub model id such as 'Qwen/Qwen2.5-7B-Instruct', "
                                      "optionally with ':provider' (e.g. ':together') or a policy (':fastest').")
        model_id, provider = split_model(model.strip())
        info = self.info(model_id)
        if info.gated:
            raise InferenceError(403, f"Access to model {model_id} is restricted: it is gated. Accept its licence on "
                                      f"https://huggingface.co/{model_id} with the account your token belongs to, "
                                      "then use a token with read access.")
        providers = [m.provider for m in (info.inference_provider_mapping or [])]
        if provider not in POLICIES and providers and provider not in providers:
            raise InferenceError(400, f"Model {model_id} is not served by provider '{provider}'. Providers that "
                                      f"serve it: {', '.join(providers)}; or drop the suffix to let the router "
                                      "choose.")
        tags = list(info.tags or [])
        if task == "conversational" and info.pipeline_tag not in (None, "text-generation", "image-text-to-text"):
            raise InferenceError(400, f"Model {model_id} is a {info.pipeline_tag} model, not a chat model: use a "
                                      "chat (Instruct) model for chat completions, or its task method.")
        served_by = model_id
        if CATALOGUE_ONLY_TAG in tags:
            if not providers or (task not in (None, "conversational") and info.pipeline_tag != "text-generation"):
                raise InferenceError(400, f"Model {model_id} is not supported by any provider you can use here "
                                          "(in the course hub it is metadata only). Pick a model that lists "
                                          "inference providers on its page.")
            served_by = CHAT_STAND_IN
        return Resolved(model, model_id, provider, served_by, info.pipeline_tag, tags)

    # -- loading ------------------------------------------------------------------------------------
    def _load(self, kind: str, repo_id: str):
        key = (kind, repo_id)
        if key in self._loaded:
            return self._loaded[key]
        with self._lock:
            if key not in self._loaded:
                try:
                    self._loaded[key] = _LOADERS[kind](repo_id)
                except (OSError, ValueError, KeyError) as exc:
                    raise InferenceError(500, f"Could not load {repo_id} as a {kind} model: "
                                              f"{type(exc).__name__}: {str(exc)[:300]}") from None
        return self._loaded[key]

    # -- tasks --------------------------------------------------------------------------------------
    def chat_prompt(self, repo_id: str, messages: list[dict]):
        tok, _ = self._load("causal", repo_id)
        if not getattr(tok, "chat_template", None):
            raise InferenceError(400, f"Model {repo_id} has no chat template: use text_generation with a plain "
                                      "prompt, or a chat (Instruct) model.")
        return tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                       return_dict=True)["input_ids"]

    def text_prompt(self, repo_id: str, prompt: str):
        tok, _ = self._load("causal", repo_id)
        return tok(prompt, return_tensors="pt")["input_ids"]

    def generate(self, repo_id: str, input_ids, max_new_tokens: int, temperature: float | None,
                 top_p: float | None, seed: int | None, stop: list[str] | None = None,
                 stats: dict | None = None) -> Iterator[str]:
        """Yield text pieces as tokens are generated; the pieces join to the full decoded reply.

        `stats`, if given, gets "completion_tokens" (the number of token ids generated, not a re-tokenised count)
        and "finish_reason" ("length" when max_new_tokens ran out, else "stop") once the generator is exhausted."""
        import queue

        import torch
        from transformers.generation.streamers import BaseStreamer

        tok, model = self._load("causal", repo_id)
        pieces: queue.Queue = queue.Queue()
        done = object()

        class _Pieces(BaseStreamer):
            def __init__(self):
                self.ids: list[int] = []
                self.sent = ""
                self.first = True

            def put(self, value):
                if self.first:  # generate() puts the prompt first
                    self.first = False
                    return
                self.ids.extend(value.reshape(-1).tolist())
                self.flush(final=False)

            def flush(self, final: bool):
                text = tok.decode(self.ids, skip_special_tokens=True)
                if (final or not text.endswith("\ufffd")) and text.startswith(self.sent) and len(text) > len(self.sent):
                    pieces.put(text[len(self.sent):])
                    self.sent = text

            def end(self):
                self.flush(final=True)

        kwargs = {"max_new_tokens": max_new_tokens, "pad_token_id": tok.pad_token_id or tok.eos_token_id}
        if temperature:
            kwargs.update(do_sample=True, temperature=temperature, top_p=top_p or 1.0)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if stop:
            kwargs.update(stop_strings=stop, tokenizer=tok)

        def run():
            try:
                generator = torch.Generator().manual_seed(seed) if seed is not None else None
                with torch.inference_mode():
                    if generator is not None and kwargs.get("do_sample"):
                        # a seed means the same answer every time: no interleaving, and the caller's own
                        # random state (a learner's kernel) is restored afterwards
                        with self._lock, torch.random.fork_rng(devices=[]):
                            torch.manual_seed(seed)
                            model.generate(input_ids, attention_mask=torch.ones_like(input_ids),
                                           streamer=streamer, **kwargs)
                    else:
                        model.generate(input_ids, attention_mask=torch.ones_like(input_ids),
                                       streamer=streamer, **kwargs)
            except Exception as exc:  # surfaced to the caller below
                pieces.put(exc)
            finally:
                pieces.put(done)

        streamer = _Pieces()
        threading.Thread(target=run, daemon=True, name="course-inference-generate").start()
        while True:
            item = pieces.get()
            if item is done:
                if stats is not None:
                    ids = streamer.ids
                    eos = model.generation_config.eos_token_id
                    eos = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
                    stats["completion_tokens"] = len(ids)
                    stats["finish_reason"] = ("length" if len(ids) >= max_new_tokens and not (ids and ids[-1] in eos)
                                              else "stop")
                return
            if isinstance(item, Exception):
                raise InferenceError(500, f"Generation failed: {type(item).__name__}: {item}")
            yield item

    def embed(self, repo_id: str, sentences: list[str], normalize: bool = False):
        model = self._load("sentence", repo_id)
        return model.encode(sentences, normalize_embeddings=normalize, convert_to_numpy=True)

    def similarity(self, repo_id: str, source: str, others: list[str]) -> list[float]:
        from sentence_transformers.util import cos_sim

        vectors = self.embed(repo_id, [source, *others])
        return cos_sim(vectors[:1], vectors[1:])[0].tolist()

    def classify(self, repo_id: str, text: str, top_k: int | None, function_to_apply: str | None) -> list[dict]:
        import torch

        tok, model = self._load("classifier", repo_id)
        with torch.inference_mode():
            logits = model(**tok(text, return_tensors="pt", truncation=True)).logits[0]
        fn = function_to_apply or ("sigmoid" if logits.numel() == 1 else "softmax")
        scores = {"softmax": logits.softmax(-1), "sigmoid": logits.sigmoid(), "none": logits}.get(fn)
        if scores is None:
            raise InferenceError(422, "function_to_apply must be one of softmax, sigmoid, none.")
        labels = model.config.id2label
        ranked = sorted(({"label": labels[i], "score": float(s)} for i, s in enumerate(scores.tolist())),
                        key=lambda r: r["score"], reverse=True)
        return ranked[:top_k] if top_k else ranked

    def summarize(self, repo_id: str, text: str, max_new_tokens: int) -> str:
        import torch

        tok, model = self._load("seq2seq", repo_id)
        with torch.inference_mode():
            ids = model.generate(**tok(text, return_tensors="pt", truncation=True, max_length=512),
                                 max_new_tokens=max_new_tokens, do_sample=False, num_beams=1)
        return tok.decode(ids[0], skip_special_tokens=True)


def _load_causal(repo_id: str):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(repo_id)
    # float32, not a checkpoint's bfloat16: the server runs on the CPU, where float32 is usually faster
    model = AutoModelForCausalLM.from_pretrained(repo_id, dtype=torch.float32).eval()
    limit = getattr(model.config, "max_position_embeddings", None) or getattr(model.config, "n_positions", None)
    if limit:  # the model's own limit, not a tokenizer default (avoids a misleading length warning)
        tok.model_max_length = limit
    return tok, model


def _load_classifier(repo_id: str):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    return AutoTokenizer.from_pretrained(repo_id), AutoModelForSequenceClassification.from_pretrained(repo_id).eval()


def _load_seq2seq(repo_id: str):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    return AutoTokenizer.from_pretrained(repo_id), AutoModelForSeq2SeqLM.from_pretrained(repo_id).eval()


def _load_sentence(repo_id: str):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(repo_id, device="cpu", trust_remote_code=False)


_LOADERS = {"causal": _load_causal, "classifier": _load_classifier, "seq2seq": _load_seq2seq,
            "sentence": _load_sentence}

REGISTRY = ModelRegistry()


class ClosedModelRegistry(ModelRegistry):
    """For the stand-in of the closed-model APIs (course_offline/internet.py): any model name a closed API takes
    ('gpt-4o-mini') is answered by the real SmolLM2-135M-Instruct, which no Hub lookup is needed for."""

    def resolve(self, model: str, task: str | None = None) -> Resolved:
        if not isinstance(model, str) or not model.strip():
            raise InferenceError(422, "'model' is required, e.g. 'gpt-4o-mini'.")
        if task not in (None, "conversational"):
            raise InferenceError(404, f"The closed-API stand-in answers chat completions only, not {task}.")
        return Resolved(model, model, "closed", CHAT_STAND_IN, "text-generation")
