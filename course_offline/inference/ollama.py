"""The Ollama API on the course inference server (lesson 06): only what the lesson and its checkers call.

pip cannot install Ollama, so offline the course inference server answers lesson 06's Ollama calls, and online
the same cells reach a real Ollama. Models: `hf.co/{user}/{repo}[:{quant}]`, a GGUF repo on the Hub HF_ENDPOINT
points at (the tag picks the file; no tag or `latest`: Q4_K_M, else the first), run with llama.cpp and the GGUF's
chat template; and `all-minilm` (all-MiniLM-L6-v2, the real model) for embeddings.
Routes: GET /api/tags; POST /api/pull, /api/chat (options num_predict, temperature, seed), /api/embed; pull and
chat stream NDJSON unless "stream": false. As in Ollama: no token; chat and embed want a pull first (else 404
"model 'X' not found"); errors are `{"error": ...}`; queued faults (`server.simulate(503)`) apply. Other routes
answer 404, `format`, `tools` and `think` 400. Stats are measured; the same request and seed give the same reply.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import queue
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from course_utils.gguf import gguf_summary, import_llama_cpp
from course_utils.threads import course_threads

from ..hub.store import safetensors_parameters
from .models import MAX_NEW_TOKENS, InferenceError
from .server import ServerState, chat_messages, guard, json_body, number

__all__ = ["OllamaName", "OllamaService", "ollama_routes", "parse_name"]

MAX_NUM_CTX = 4096  # Ollama's default context window (capped at the model's own context length)
MAX_LOADED = 3  # llama.cpp models kept loaded at once (Ollama's OLLAMA_MAX_LOADED_MODELS on CPU)
HF_HOSTS = ("hf.co", "huggingface.co")
LIBRARY = {"all-minilm": ("sentence-transformers/all-MiniLM-L6-v2", ("latest", "22m", "l6-v2"))}
_NAME = re.compile(r"(?P<base>[^\s:]+)(?::(?P<tag>[^\s:/]+))?")


class OllamaName(NamedTuple):
    display: str  # as `ollama list` shows it (tag added); its lower case matches
    repo_id: str | None  # the Hub repo behind it (None: a name the course server cannot pull)
    tag: str
    kind: str  # "gguf", "sentence" or "other"


def parse_name(model) -> OllamaName:
    """'hf.co/org/repo:Q8_0' -> OllamaName('hf.co/org/repo:Q8_0', 'org/repo', 'Q8_0', 'gguf')."""
    if not isinstance(model, str) or not model.strip():
        raise InferenceError(400, "model is required")
    match = _NAME.fullmatch(model.strip())
    parts = match["base"].split("/") if match else []
    hub = bool(parts) and parts[0].lower() in HF_HOSTS
    if not match or (hub and (len(parts) != 3 or not all(parts))):
        raise InferenceError(400, f"invalid model name: {model!r} (a GGUF repo on the Hub is hf.co/{{user}}/{{repo}}"
                                  " or hf.co/{user}/{repo}:{quant})")
    base, tag = match["base"], match["tag"] or "latest"
    if hub:
        return OllamaName(f"{parts[0].lower()}/{parts[1]}/{parts[2]}:{tag}", f"{parts[1]}/{parts[2]}", tag, "gguf")
    base = base.removeprefix("library/")
    library = LIBRARY.get(base.lower())
    if library and tag.lower() in library[1]:
        return OllamaName(f"{base.lower()}:{tag}", library[0], tag, "sentence")
    return OllamaName(f"{base}:{tag}", None, tag, "other")


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _ns(seconds: float) -> int:
    return max(0, int(seconds * 1e9))


def _options(data: dict) -> dict:
    """The options lesson 06 sets, over Ollama's defaults (others are ignored, as Ollama ignores unknown ones)."""
    given = data.get("options") or {}
    if not isinstance(given, dict):
        raise InferenceError(400, f"options must be a JSON object, got {type(given).__name__}")
    return {"num_predict": number(given, "num_predict", -1, -2, 2**31, integer=True, status=400),  # < 0: no limit
            "temperature": number(given, "temperature", 0.8, 0.0, 100.0, status=400),
            "seed": number(given, "seed", -1, -(2**63), 2**63, integer=True, status=400)}  # < 0: a random one


def _in_thread(produce) -> Iterator:
    """Run the generator function `produce` in a thread of its own and iterate its items here (errors re-raised).

    The work goes on to its end even if the client goes away, so a model's lock is always released."""
    items: queue.Queue = queue.Queue()
    done = object()

    def run():
        try:
            for item in produce():
                items.put(item)
        except InferenceError as exc:
            items.put(exc)
        except Exception as exc:  # a 500 for the caller (a GGUFError says how to repair llama.cpp)
            items.put(InferenceError(500, f"{type(exc).__name__}: {exc}"))
        finally:
            items.put(done)

    threading.Thread(target=run, daemon=True, name="course-ollama").start()
    while (item := items.get()) is not done:
        if isinstance(item, InferenceError):
            raise item
        yield item


async def _stream(events: Iterator[dict]) -> Response:
    """NDJSON, as Ollama streams. The first item is fetched here, so an early error keeps its status code."""
    first = await run_in_threadpool(next, events, None)

    def lines():
        if first is not None:
            yield json.dumps(first) + "\n"
        try:
            for event in events:
                yield json.dumps(event) + "\n"
        except InferenceError as exc:
            yield json.dumps({"error": exc.message}) + "\n"

    return StreamingResponse(iterate_in_threadpool(lines()), media_type="application/x-ndjson")


@dataclass
class Loaded:
    llm: object  # a llama_cpp.Llama: every call on it under `lock`, and none once `closed`
    formatter: object  # the GGUF's chat template
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False
    last_used: float = 0.0


class OllamaService:
    def __init__(self, state: ServerState):
        self.state = state
        self.pulled: dict[str, dict] = {}  # lower-case name -> manifest
        self._loaded: dict[str, Loaded] = {}
        self._lock = threading.Lock()  # for both dicts, and for loading

    def manifest(self, model, action: str) -> dict:
        """The pulled model's manifest, or 404 "model 'X' not found" (as Ollama answers before a pull)."""
        manifest = self.pulled.get(parse_name(model).display.lower())
        if manifest is None:
            raise InferenceError(404, f"model '{model}' not found")
        if manifest["action"] != action:
            raise InferenceError(400, f'"{manifest["name"]}" does not support {action}')
        return manifest

    def _unload(self, key: str) -> None:  # with self._lock held
        loaded = self._loaded.pop(key, None)
        if loaded is not None:
            with loaded.lock:  # waits for a generation in progress: closing a model in use crashes the process
                loaded.closed = True
                loaded.llm.close()

    def load(self, manifest: dict) -> tuple[Loaded, float]:
        """The loaded model (loading it if needed, as Ollama does on first use) and the seconds loading took."""
        with self._lock:
            current, seconds = self._loaded.get(manifest["key"]), 0.0
            if current is None:
                oldest_first = [k for _, k in sorted((v.last_used, k) for k, v in self._loaded.items())]
                for key in oldest_first[:max(0, len(oldest_first) - MAX_LOADED + 1)]:
                    self._unload(key)
                started = time.perf_counter()
                current = self._loaded[manifest["key"]] = self._open(Path(manifest["path"]), manifest["num_ctx"])
                seconds = time.perf_counter() - started
            current.last_used = time.monotonic()
            return current, seconds

    @staticmethod
    def _open(path: Path, num_ctx: int) -> Loaded:
        llama_cpp = import_llama_cpp()
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        threads = course_threads()
        try:
            llm = llama_cpp.Llama(model_path=str(path), n_ctx=num_ctx, n_threads=threads, n_threads_batch=threads,
                                  verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise InferenceError(500, f"llama.cpp could not load {path.name} (pull it again?): {exc}") from None
        eos, bos = (llm.detokenize([t], special=True).decode("utf-8", "replace") if t >= 0 else ""
                    for t in (llm.token_eos(), llm.token_bos()))
        return Loaded(llm, Jinja2ChatFormatter(llm.metadata.get("tokenizer.chat_template"), eos, bos))

    def chat(self, manifest: dict, messages: list[dict], opts: dict) -> Iterator[str | dict]:
        """Yield the reply's text as tokens are sampled, then its stats. All of it under the model's lock."""
        loaded, load_seconds = self.load(manifest)
        llama_cpp = import_llama_cpp()
        with loaded.lock:
            if loaded.closed:
                raise InferenceError(503, f"{manifest['name']} was unloaded while this request waited; retry")
            llm = loaded.llm
            try:
                prompt = loaded.formatter(messages=messages).prompt
            except Exception as exc:  # the template rejected the messages (e.g. roles out of order)
                raise InferenceError(400, f"the model's chat template failed on these messages: {exc}") from None
            tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
            if len(tokens) >= llm.n_ctx():
                raise InferenceError(400, f"the input is {len(tokens)} tokens, the context window {llm.n_ctx()}")
            wanted = opts["num_predict"]
            limit = min(wanted if wanted > 0 else MAX_NEW_TOKENS, llm.n_ctx() - len(tokens))
            vocab = llama_cpp.llama_model_get_vocab(llm.model)
            llm.reset()  # no prefix reuse: the same request gives the same reply (batch sizes change float sums)
            llm.set_seed(opts["seed"] if opts["seed"] >= 0 else secrets.randbits(32))
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
            sampled, finish, first = 0, "stop", None
            started = time.perf_counter()
            # top_k, top_p and repeat_penalty: Ollama's defaults (lesson 06 leaves them alone)
            for token in llm.generate(tokens, temp=float(opts["temperature"]), top_k=40, top_p=0.9, min_p=0.0,
                                      repeat_penalty=1.1):
                first = first or time.perf_counter()
                sampled += 1  # Ollama's eval_count counts an end-of-generation token too
                if llama_cpp.llama_vocab_is_eog(vocab, token):
                    break
                if piece := decoder.decode(llm.detokenize([token])):
                    yield piece
                if sampled >= limit:
                    finish = "length"
                    break
            if tail := decoder.decode(b"", final=True):
                yield tail
            ended = time.perf_counter()
        first = first or ended
        yield {"done_reason": finish, "load_duration": _ns(load_seconds), "prompt_eval_count": len(tokens),
               "prompt_eval_duration": _ns(first - started), "eval_count": sampled, "eval_duration": _ns(ended - first)}

    def pull(self, name: OllamaName) -> Iterator[dict]:
        """Ollama's pull progress: pulling manifest, pulling <digest>, verifying, writing manifest, success."""
        yield {"status": "pulling manifest"}
        if name.kind == "other":
            raise InferenceError(500, f"pull model manifest: file does not exist ({name.display}: offline, the course "
                                      "inference server pulls hf.co/{user}/{repo}[:{quant}] GGUF repos and all-minilm)")
        from huggingface_hub import HfApi, hf_hub_download
        from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

        try:
            info = HfApi().model_info(name.repo_id)
        except HfHubHTTPError as exc:
            said = "file does not exist" if isinstance(exc, RepositoryNotFoundError) else exc
            raise InferenceError(500, f"pull model manifest: {said} ({name.repo_id} on "
                                      f"{os.environ.get('HF_ENDPOINT', 'https://huggingface.co')})") from None
        files = sorted(s.rfilename for s in info.siblings or [])
        if name.kind == "gguf":
            files = [f for f in files if f.lower().endswith(".gguf")]
            tag = "Q4_K_M" if name.tag.lower() == "latest" else name.tag
            found = [f for f in files if re.search(rf"(?<![A-Za-z0-9]){re.escape(tag)}(?![A-Za-z0-9_])", f, re.I)]
            found = found or (files if tag != name.tag else [])
            if not found:
                raise InferenceError(500, f"pull model manifest: 400: {name.repo_id} " + (
                    f"has no {name.tag} file (the specified tag is not available): {', '.join(files)}" if files
                    else "has no .gguf file (the repository is not GGUF)"))
            chosen = found[0]
        else:
            chosen = "model.safetensors"
        path = Path(hf_hub_download(name.repo_id, chosen, revision=info.sha))
        with open(path, "rb") as handle:
            digest, size = hashlib.file_digest(handle, "sha256").hexdigest(), path.stat().st_size
        yield {"status": f"pulling {digest[:12]}", "digest": f"sha256:{digest}", "total": size, "completed": size}
        yield {"status": "verifying sha256 digest"}
        if name.kind == "gguf":
            summary = gguf_summary(path)
            family, n_params = summary["architecture"] or "unknown", summary["n_params"]
            quant = str(summary["file_type"]).removeprefix("MOSTLY_").removeprefix("ALL_")
            num_ctx = min(summary["context_length"] or MAX_NUM_CTX, MAX_NUM_CTX)
        else:
            counts = safetensors_parameters(path)
            family, n_params, quant, num_ctx = "bert", sum(counts.values()), max(counts, key=counts.get).upper(), None
        yield {"status": "writing manifest"}
        size_name, scale = next((s for s in (("B", 1e9), ("M", 1e6), ("K", 1e3)) if n_params >= s[1]), ("", 1))
        key = name.display.lower()
        manifest = {"key": key, "name": name.display, "model": name.display, "modified_at": _now(), "size": size,
                    "digest": digest, "repo_id": name.repo_id, "path": str(path), "num_ctx": num_ctx,
                    "action": "chat" if name.kind == "gguf" else "embeddings",
                    "details": {"parent_model": "", "format": "gguf" if name.kind == "gguf" else "safetensors",
                                "family": family, "families": [family], "quantization_level": quant,
                                "parameter_size": f"{n_params / scale:.2f}{size_name}"}}  # as Ollama: 134.52M
        with self._lock:
            self.pulled[key] = manifest
            self._unload(key)  # a re-pulled model is loaded afresh
        yield {"status": "success"}


def ollama_routes(state: ServerState) -> list[Route]:
    """The Ollama API's routes for a course inference server's state (no token; queued faults apply)."""
    service = OllamaService(state)

    async def tags(request: Request) -> Response:
        ordered = sorted(service.pulled.values(), key=lambda m: m["modified_at"], reverse=True)
        keys = ("name", "model", "modified_at", "size", "digest", "details")
        return JSONResponse({"models": [{k: m[k] for k in keys} for m in ordered]})

    async def pull(request: Request) -> Response:
        data = await json_body(request)
        name = parse_name(data.get("model") or data.get("name"))
        events = _in_thread(lambda: service.pull(name))
        if data.get("stream", True) is False:
            return JSONResponse((await run_in_threadpool(list, events))[-1])
        return await _stream(events)

    async def chat(request: Request) -> Response:
        started = time.perf_counter()
        data = await json_body(request)
        manifest = service.manifest(data.get("model"), "chat")
        if unsupported := [key for key in ("format", "tools", "think") if data.get(key)]:
            raise InferenceError(400, f"{unsupported[0]} is not supported by the course inference server's Ollama API")
        messages, opts = chat_messages(data, status=400), _options(data)

        def events():
            for item in _in_thread(lambda: service.chat(manifest, messages, opts)):
                done = not isinstance(item, str)
                yield {"model": data["model"], "created_at": _now(),
                       "message": {"role": "assistant", "content": "" if done else item}, "done": done,
                       **({"total_duration": _ns(time.perf_counter() - started), **item} if done else {})}

        if data.get("stream", True) is False:
            *pieces, final = await run_in_threadpool(list, events())
            final["message"]["content"] = "".join(p["message"]["content"] for p in pieces)
            return JSONResponse(final)
        return await _stream(events())

    async def embed(request: Request) -> Response:
        started = time.perf_counter()
        data = await json_body(request)
        manifest = service.manifest(data.get("model"), "embeddings")
        inputs = data.get("input", "")
        inputs = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(inputs, list) or not all(isinstance(s, str) for s in inputs):
            raise InferenceError(400, "invalid input type: input must be a string or a list of strings")
        vectors = await run_in_threadpool(state.registry.embed, manifest["repo_id"], inputs, True)
        return JSONResponse({"model": data["model"], "embeddings": vectors.tolist(),
                             "total_duration": _ns(time.perf_counter() - started)})

    return [Route(path, guard(state, handler, auth=False), methods=[method]) for path, handler, method in (
        ("/api/tags", tags, "GET"), ("/api/pull", pull, "POST"), ("/api/chat", chat, "POST"),
        ("/api/embed", embed, "POST"))]
