"""The Ollama API on the course inference server (lesson 06): what the `ollama` Python client sends, answered.

No Ollama server can be installed offline, so the course inference server answers the Ollama routes too, and
the same lesson code runs against a real Ollama online. Point the client at it with OLLAMA_HOST (what
`start_inference_server()` does) or `ollama.Client(host=server.url)`.

Models, named as Ollama names them:
- `hf.co/{user}/{repo}[:{quant}]` (or `huggingface.co/...`): a repo of .gguf files on the Hub that HF_ENDPOINT
  points at. The tag picks the file whose name holds it (case-insensitive: Q4_K_M, q8_0); no tag or `latest`:
  Q4_K_M when the repo has it, else the first .gguf file. Pulled with huggingface_hub into the HF cache and run
  with llama.cpp (llama-cpp-python), with the GGUF's own chat template.
- `all-minilm` (`:latest`, `:22m`, `:l6-v2`): Ollama's name for all-MiniLM-L6-v2, served from the Hub's
  `sentence-transformers/all-MiniLM-L6-v2` with sentence-transformers (the real model: its embeddings mean
  something). Embedding only, as in Ollama.

Routes: GET / ("Ollama is running"), /api/version, /api/tags, /api/ps; POST /api/show, /api/pull (NDJSON
progress), /api/copy, /api/chat and /api/generate (NDJSON streaming unless "stream": false), /api/embed,
/api/embeddings (legacy, not normalised); DELETE /api/delete. /api/create and /api/push answer 501.
As in Ollama: no token; chat, generate and embed need a pull first (else 404 "model 'X' not found"); errors are
`{"error": "..."}`; a failed pull is a 500, or an error line in a stream. Queued faults (`server.simulate(503)`)
apply here too. Pulled models are listed in manifests.json under HF_HOME/course-ollama (Ollama: ~/.ollama).

Stats are measured: prompt_eval_duration up to the first sampled token, eval_count counts sampled tokens (an
end-of-generation token included, as Ollama counts). Each request evaluates its whole prompt (no KV-cache prefix
reuse), so the same request with the same seed gives the same reply.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import math
import mmap
import os
import queue
import re
import secrets
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from ..hub.store import safetensors_parameters
from .models import MAX_NEW_TOKENS, InferenceError
from .server import ServerState, guard

__all__ = ["DEFAULT_NUM_CTX", "OLLAMA_VERSION", "OllamaName", "OllamaService", "ollama_routes", "parse_name",
           "read_gguf"]

OLLAMA_VERSION = "0.12.6-course"  # the Ollama API version this imitates, marked as the course's
DEFAULT_NUM_CTX = 4096  # Ollama's default context window (capped at the model's own context length)
DEFAULT_KEEP_ALIVE = 300.0  # seconds a model stays loaded after a request, as in Ollama ("5m")
MAX_LOADED = 3  # llama.cpp models kept loaded at once (Ollama's OLLAMA_MAX_LOADED_MODELS on CPU)
HF_HOSTS = ("hf.co", "huggingface.co")
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
LIBRARY = {"all-minilm": (MINILM, ("latest", "22m", "l6-v2"))}  # Ollama library names the course hub serves
STAND_IN_TAG = "course-stand-in"
NDJSON = "application/x-ndjson"
# Ollama's sampling defaults (its `options`); num_predict -1: "until the model stops" (capped, see _options).
DEFAULTS = {"temperature": 0.8, "top_k": 40, "top_p": 0.9, "min_p": 0.0, "typical_p": 1.0, "repeat_penalty": 1.1,
            "presence_penalty": 0.0, "frequency_penalty": 0.0, "mirostat": 0, "mirostat_tau": 5.0,
            "mirostat_eta": 0.1, "num_predict": -1, "seed": -1}
_INT_OPTIONS = {"top_k", "mirostat", "num_predict", "seed", "num_ctx"}
_NOT_PULLED_HINT = ("offline, the course inference server pulls hf.co/{user}/{repo}[:{quant}] repos of .gguf files "
                    "from the course hub, and all-minilm")
# llama.cpp's llama_ftype numbers (general.file_type) -> Ollama's quantization_level names
_FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
               12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K",
               19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL",
               26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16",
               36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4"}


# -- names ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OllamaName:
    """A model name as Ollama reads it: `display` is how `ollama list` shows it (tag added), `key` matches."""

    display: str
    repo_id: str | None  # the Hub repo behind it (None: a name the course server cannot pull)
    tag: str
    kind: str  # "gguf", "sentence" or "other"

    @property
    def key(self) -> str:
        return self.display.lower()


def parse_name(model) -> OllamaName:
    """'hf.co/org/repo:Q8_0' -> OllamaName(display='hf.co/org/repo:Q8_0', repo_id='org/repo', tag='Q8_0', ...)."""
    if not isinstance(model, str) or not model.strip():
        raise InferenceError(400, "model is required")
    text = model.strip()
    base, sep, tag = text.rpartition(":")
    if not sep or "/" in tag:
        base, tag = text, ""
    if not base or (sep and not tag) or any(c.isspace() for c in text):
        raise InferenceError(400, f"invalid model name: {text!r}")
    tag = tag or "latest"
    parts = base.split("/")
    host = parts[0].lower()
    if host in HF_HOSTS:
        if len(parts) != 3 or not all(parts[1:]):
            raise InferenceError(400, f"invalid model name: {text!r}; a Hugging Face GGUF repo is named "
                                      "hf.co/{user}/{repo} or hf.co/{user}/{repo}:{quant}")
        return OllamaName(f"{host}/{parts[1]}/{parts[2]}:{tag}", f"{parts[1]}/{parts[2]}", tag, "gguf")
    for prefix in ("registry.ollama.ai/library/", "library/"):
        if base.lower().startswith(prefix):
            base = base[len(prefix):]
    library = LIBRARY.get(base.lower())
    if library and tag.lower() in library[1]:
        return OllamaName(f"{base.lower()}:{tag}", library[0], tag, "sentence")
    return OllamaName(f"{base}:{tag}", None, tag, "other")


# -- GGUF metadata (read from the file header, no model loaded) ---------------------------------------
_GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q",
                 12: "<d"}
_GGUF_STRING, _GGUF_ARRAY = 8, 9
_KEEP_ARRAY = 64  # longer arrays (the vocabulary) are shown as None, as `ollama show` does without --verbose


def read_gguf(path: str | Path) -> tuple[dict, int, list[str] | None]:
    """(metadata, parameter count, vocabulary) from a GGUF file's header (GGUF v2/v3)."""
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        if buf[:4] != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        version, n_tensors, n_kv = struct.unpack_from("<IQQ", buf, 4)
        if version < 2:
            raise ValueError(f"{path}: GGUF version {version} is too old (v2 or later)")
        pos = 24

        def string() -> str:
            nonlocal pos
            (length,) = struct.unpack_from("<Q", buf, pos)
            pos += 8 + length
            return bytes(buf[pos - length:pos]).decode("utf-8", errors="replace")

        def value(kind: int):
            nonlocal pos
            if kind == _GGUF_STRING:
                return string()
            if kind == _GGUF_ARRAY:
                item_kind, count = struct.unpack_from("<IQ", buf, pos)
                pos += 12
                if item_kind in _GGUF_SCALARS and count > _KEEP_ARRAY:
                    pos += count * struct.calcsize(_GGUF_SCALARS[item_kind])
                    return None
                return [value(item_kind) for _ in range(count)]
            fmt = _GGUF_SCALARS.get(kind)
            if fmt is None:
                raise ValueError(f"{path}: unknown GGUF value type {kind}")
            (out,) = struct.unpack_from(fmt, buf, pos)
            pos += struct.calcsize(fmt)
            return out

        metadata: dict = {}
        vocab = None
        for _ in range(n_kv):
            key = string()
            (kind,) = struct.unpack_from("<I", buf, pos)
            pos += 4
            got = value(kind)
            if key == "tokenizer.ggml.tokens":
                vocab, got = got, None
            elif isinstance(got, list) and len(got) > _KEEP_ARRAY:
                got = None
            metadata[key] = got
        n_params = 0
        for _ in range(n_tensors):
            string()
            (n_dims,) = struct.unpack_from("<I", buf, pos)
            dims = struct.unpack_from(f"<{n_dims}Q", buf, pos + 4)
            pos += 4 + 8 * n_dims + 4 + 8
            n_params += math.prod(dims)
    return metadata, n_params, vocab


def _human_count(n: int) -> str:
    """Ollama's parameter_size: 135M -> '134.52M', 8.03e9 -> '8.0B'."""
    for size, suffix, fmt in ((1e9, "B", "{:.1f}"), (1e6, "M", "{:.2f}"), (1e3, "K", "{:.2f}")):
        if n >= size:
            number = n / size
            return (f"{int(number)}" if number == int(number) else fmt.format(number)) + suffix
    return str(n)


def _safetensors_parameters(path: Path) -> tuple[int, str]:
    """(parameter count, dominant dtype) from a .safetensors header."""
    counts = safetensors_parameters(path)
    return sum(counts.values()), max(counts, key=counts.get) if counts else "F32"


# -- small helpers ----------------------------------------------------------------------------------
def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _ns(seconds: float) -> int:
    return max(0, int(seconds * 1e9))


def _iso(timestamp: float) -> str:
    if timestamp == math.inf:
        return "2318-08-18T00:00:00Z"  # "forever", as Ollama shows keep_alive=-1
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _keep_alive(value) -> float:
    """Ollama's keep_alive in seconds: a number (seconds) or a Go duration ('5m', '1h30m'); negative: forever."""
    if value is None:
        return DEFAULT_KEEP_ALIVE
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        sign = -1.0 if text.startswith("-") else 1.0
        body = text.lstrip("+-")
        if re.fullmatch(r"\d+(\.\d+)?", body):
            seconds = sign * float(body)
        elif _DURATION.sub("", body) == "" and body:
            seconds = sign * sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(body))
        else:
            raise InferenceError(400, f'time: invalid duration "{value}"')
    else:
        raise InferenceError(400, f"keep_alive must be a duration such as \"5m\" or a number of seconds, got {value!r}")
    return math.inf if seconds < 0 else seconds


async def _body(request: Request) -> dict:
    raw = await request.body()
    if not raw.strip():
        raise InferenceError(400, "missing request body")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InferenceError(400, f"invalid JSON in the request body: {exc}") from None
    if not isinstance(data, dict):
        raise InferenceError(400, f"the request body must be a JSON object, got {type(data).__name__}")
    return data


def _options(data: dict) -> dict:
    """The request's `options`, checked, over Ollama's defaults. Unknown options are ignored, as in Ollama."""
    given = data.get("options") or {}
    if not isinstance(given, dict):
        raise InferenceError(400, f"options must be a JSON object, got {type(given).__name__}")
    opts = dict(DEFAULTS)
    for name, value in given.items():
        if value is None:
            continue
        if name == "stop":
            stop = [value] if isinstance(value, str) else value
            if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
                raise InferenceError(400, 'option "stop" must be a string or a list of strings')
            opts["stop"] = [s for s in stop if s]
        elif name in DEFAULTS or name == "num_ctx":
            integer = name in _INT_OPTIONS
            ok = isinstance(value, int) if integer else isinstance(value, (int, float))
            if isinstance(value, bool) or not ok:
                kind = "an integer" if integer else "a number"
                raise InferenceError(400, f'option "{name}" must be {kind}, got {value!r}')
            opts[name] = value
    if opts.get("num_ctx") is not None and opts["num_ctx"] < 1:
        raise InferenceError(400, 'option "num_ctx" must be at least 1')
    return opts


def _ndjson(obj) -> bytes:
    return (json.dumps(obj) + "\n").encode()


def _in_thread(produce) -> Iterator:
    """Run the generator function `produce` in its own thread; iterate its items here (errors re-raised).

    The work finishes even if the client goes away, so a model's lock is always released."""
    items: queue.Queue = queue.Queue()
    done = object()

    def run():
        try:
            for item in produce():
                items.put(item)
        except InferenceError as exc:
            items.put(exc)
        except Exception as exc:  # surfaced to the caller as a 500
            items.put(InferenceError(500, f"{type(exc).__name__}: {exc}"))
        finally:
            items.put(done)

    threading.Thread(target=run, daemon=True, name="course-ollama").start()
    while True:
        item = items.get()
        if item is done:
            return
        if isinstance(item, InferenceError):
            raise item
        yield item


async def _stream(events: Iterator[dict], headers: dict | None = None) -> Response:
    """NDJSON, as Ollama streams. The first item is fetched here, so an early error keeps its status code."""
    first = await run_in_threadpool(next, events, None)

    def lines():
        if first is not None:
            yield _ndjson(first)
        try:
            for event in events:
                yield _ndjson(event)
        except InferenceError as exc:
            yield _ndjson({"error": exc.message})

    return StreamingResponse(iterate_in_threadpool(lines()), media_type=NDJSON, headers=headers)


# -- the manifests of pulled models ---------------------------------------------------------------
class ModelStore:
    """Pulled models, one JSON file (Ollama keeps manifests in ~/.ollama/models): name key -> manifest."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.path = self.root / "manifests.json"
        self._lock = threading.Lock()

    def all(self) -> dict[str, dict]:
        with self._lock:
            return self._read()

    def _read(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".tmp{secrets.token_hex(4)}")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(self.path)

    def get(self, key: str) -> dict | None:
        return self.all().get(key)

    def put(self, key: str, manifest: dict) -> None:
        with self._lock:
            data = self._read()
            data[key] = manifest
            self._write(data)

    def delete(self, key: str) -> bool:
        with self._lock:
            data = self._read()
            found = data.pop(key, None) is not None
            if found:
                self._write(data)
            return found


# -- loaded models --------------------------------------------------------------------------------
@dataclass
class Loaded:
    manifest: dict
    llm: object | None  # a llama_cpp.Llama, or None for a sentence-transformers model (held by the registry)
    num_ctx: int
    expires_at: float
    lock: threading.Lock
    formatter: object | None = None
    last_used: float = 0.0
    closed: bool = False


def _threads() -> int | None:
    value = os.environ.get("COURSE_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def _llama_cpp():
    try:
        import llama_cpp
    except ImportError as exc:
        raise InferenceError(500, f"llama-cpp-python cannot be imported ({exc}): run `make repair`.") from None
    return llama_cpp


class OllamaService:
    """The Ollama routes' state: the pulled models (a ModelStore) and the models loaded now."""

    def __init__(self, state: ServerState, models_dir: str | Path | None = None):
        self.state = state
        self._models_dir = models_dir
        self._store: ModelStore | None = None
        self._loaded: dict[str, Loaded] = {}
        self._load_lock = threading.Lock()

    @property
    def store(self) -> ModelStore:
        if self._store is None:
            root = self._models_dir
            if root is None:
                from huggingface_hub import constants

                root = Path(constants.HF_HOME) / "course-ollama"
            self._store = ModelStore(root)
        return self._store

    # -- lookups --------------------------------------------------------------------------------------
    def manifest(self, model, action: str | None = None) -> tuple[OllamaName, dict]:
        """The pulled model's manifest, or 404 "model 'X' not found" (as Ollama answers before a pull)."""
        name = parse_name(model)
        manifest = self.store.get(name.key)
        if manifest is None:
            raise InferenceError(404, f"model '{model}' not found")
        if action is not None and action not in manifest["capabilities_actions"]:
            extra = ""
            if action == "embeddings":
                extra = (" (the course inference server embeds with all-minilm only; a real Ollama server also "
                         "embeds with chat models)")
            raise InferenceError(400, f'"{manifest["name"]}" does not support {action}{extra}')
        return name, manifest

    # -- loading --------------------------------------------------------------------------------------
    def _expire(self) -> None:
        now = time.time()
        for key in [k for k, v in self._loaded.items() if v.expires_at <= now]:
            self._unload(key)

    def _unload(self, key: str) -> None:
        loaded = self._loaded.pop(key, None)
        if loaded is not None and loaded.llm is not None:
            with loaded.lock:  # waits for a generation in progress
                loaded.closed = True
                loaded.llm.close()

    def loaded(self) -> list[Loaded]:
        """The models loaded now (expired ones unloaded first), as `ollama ps` lists them."""
        with self._load_lock:
            self._expire()
            return list(self._loaded.values())

    def unload(self, key: str) -> bool:
        with self._load_lock:
            found = key in self._loaded
            self._unload(key)
            return found

    def load(self, manifest: dict, num_ctx: int | None, keep_alive: float) -> tuple[Loaded, float]:
        """The loaded model (loading it if needed, as Ollama does on first use) and the seconds loading took."""
        key = manifest["key"]
        with self._load_lock:
            self._expire()
            current = self._loaded.get(key)
            if manifest["kind"] == "gguf":
                limit = manifest.get("context_length") or DEFAULT_NUM_CTX
                num_ctx = max(64, min(num_ctx or DEFAULT_NUM_CTX, limit))
            else:
                num_ctx = manifest.get("context_length") or 256
            seconds = 0.0
            if current is None or current.num_ctx != num_ctx:  # Ollama reloads when num_ctx changes
                self._unload(key)
                others = sorted((v.last_used, k) for k, v in self._loaded.items() if v.llm is not None)
                while manifest["kind"] == "gguf" and len(others) >= MAX_LOADED:
                    self._unload(others.pop(0)[1])
                started = time.perf_counter()
                current = self._load_new(manifest, num_ctx)
                seconds = time.perf_counter() - started
                self._loaded[key] = current
            current.last_used = time.time()
            current.expires_at = time.time() + keep_alive
            return current, seconds

    def _load_new(self, manifest: dict, num_ctx: int) -> Loaded:
        if manifest["kind"] == "sentence":
            self.state.registry._load("sentence", manifest["repo_id"])
            return Loaded(manifest, None, num_ctx, 0.0, threading.Lock())
        path = Path(manifest["path"])
        if not path.is_file():
            raise InferenceError(404, f"model '{manifest['name']}' not found: its file {path} is gone from the "
                                      "HF cache; pull it again")
        llama_cpp = _llama_cpp()
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        threads = _threads()
        try:
            llm = llama_cpp.Llama(model_path=str(path), n_ctx=num_ctx, n_threads=threads, n_threads_batch=threads,
                                  verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise InferenceError(500, f"llama.cpp could not load {path.name}: {exc}") from None
        formatter = None
        template = llm.metadata.get("tokenizer.chat_template")
        if template:
            def text(token: int) -> str:
                return llm.detokenize([token], special=True).decode("utf-8", "replace") if token >= 0 else ""

            formatter = Jinja2ChatFormatter(template, eos_token=text(llm.token_eos()), bos_token=text(llm.token_bos()))
        return Loaded(manifest, llm, num_ctx, 0.0, threading.Lock(), formatter)

    # -- generation ---------------------------------------------------------------------------------
    def prompt_tokens(self, loaded: Loaded, messages: list[dict] | None, raw_prompt: str | None) -> list[int]:
        llm = loaded.llm
        if raw_prompt is not None:
            return llm.tokenize(raw_prompt.encode(), add_bos=True, special=True)
        if loaded.formatter is None:  # no chat template in the GGUF: the messages' text, one per line
            return llm.tokenize("\n".join(m["content"] for m in messages).encode(), add_bos=True, special=True)
        try:
            prompt = loaded.formatter(messages=messages).prompt
        except Exception as exc:  # the template rejected the messages (e.g. roles out of order)
            raise InferenceError(400, f"the model's chat template failed on these messages: {exc}") from None
        return llm.tokenize(prompt.encode(), add_bos=False, special=True)

    def generate(self, loaded: Loaded, prompt, opts: dict, grammar=None) -> Iterator[tuple[str, object]]:
        """Yield ("piece", text) as tokens are sampled, then ("stats", {...}). Runs under the model's lock.

        prompt: a function loaded -> the prompt's token ids, called under that lock too: another request may
        unload (close) the model at any moment, and any call on a closed model crashes the process."""
        llama_cpp = _llama_cpp()
        with loaded.lock:
            if loaded.closed:
                raise InferenceError(503, f"{loaded.manifest['name']} was unloaded while this request waited; retry")
            llm = loaded.llm
            tokens = prompt(loaded)
            n_ctx = llm.n_ctx()
            if len(tokens) >= n_ctx:
                raise InferenceError(400, f"the input is {len(tokens)} tokens, more than the context window "
                                          f"(num_ctx={n_ctx}); shorten it or raise options.num_ctx")
            wanted = opts["num_predict"]
            limit = wanted if wanted > 0 else MAX_NEW_TOKENS
            limit = min(limit, n_ctx - len(tokens))
            stops = opts.get("stop") or []
            vocab = llama_cpp.llama_model_get_vocab(llm.model)
            sampling = {"temp": float(opts["temperature"]), "top_k": int(opts["top_k"]),
                        "top_p": float(opts["top_p"]), "min_p": float(opts["min_p"]),
                        "typical_p": float(opts["typical_p"]), "repeat_penalty": float(opts["repeat_penalty"]),
                        "presence_penalty": float(opts["presence_penalty"]),
                        "frequency_penalty": float(opts["frequency_penalty"]), "mirostat_mode": int(opts["mirostat"]),
                        "mirostat_tau": float(opts["mirostat_tau"]), "mirostat_eta": float(opts["mirostat_eta"]),
                        "grammar": grammar}
            llm.reset()  # no prefix reuse: the same request gives the same reply (batch sizes change float sums)
            seed = opts["seed"]
            llm.set_seed(seed if seed >= 0 else secrets.randbits(32))
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
            ids: list[int] = []
            text, sent, sampled, finish, stopped = "", 0, 0, "stop", False
            started = time.perf_counter()
            first = None
            for token in llm.generate(tokens, **sampling):
                if first is None:
                    first = time.perf_counter()
                sampled += 1  # Ollama's eval_count counts an end-of-generation token too
                if llama_cpp.llama_vocab_is_eog(vocab, token):
                    break
                ids.append(token)
                text += decoder.decode(llm.detokenize([token]))
                cut = min((i for i in (text.find(s, max(0, sent - len(s))) for s in stops) if i >= 0), default=-1)
                if cut >= 0:  # a stop string: the reply ends before it
                    text, stopped = text[:cut], True
                    break
                hold = max((k for s in stops for k in range(1, len(s)) if text.endswith(s[:k])), default=0)
                if len(text) - hold > sent:  # hold back what may be the start of a stop string
                    yield "piece", text[sent:len(text) - hold]
                    sent = len(text) - hold
                if sampled >= limit:
                    finish = "length"
                    break
            if not stopped:
                text += decoder.decode(b"", final=True)
            if len(text) > sent:
                yield "piece", text[sent:]
            ended = time.perf_counter()
        first = first or ended
        yield "stats", {"done_reason": finish, "prompt_eval_count": len(tokens),
                        "prompt_eval_duration": _ns(first - started), "eval_count": sampled,
                        "eval_duration": _ns(ended - first), "context": [*tokens, *ids]}

    # -- pull ---------------------------------------------------------------------------------------
    def pull(self, name: OllamaName) -> Iterator[dict]:
        """Ollama's pull progress: pulling manifest, pulling <digest> (total, completed)..., success."""
        yield {"status": "pulling manifest"}
        if name.kind == "other":
            raise InferenceError(500, f"pull model manifest: file does not exist ({name.display}: {_NOT_PULLED_HINT})")
        from huggingface_hub import HfApi
        from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

        try:
            info = HfApi().model_info(name.repo_id, files_metadata=True)
        except GatedRepoError:
            raise InferenceError(500, f"pull model manifest: 401: {name.repo_id} is gated: accept its licence on "
                                      "the Hub and use a token with read access") from None
        except RepositoryNotFoundError:
            raise InferenceError(500, f"pull model manifest: file does not exist (no repo {name.repo_id} on "
                                      f"{os.environ.get('HF_ENDPOINT', 'https://huggingface.co')})") from None
        except HfHubHTTPError as exc:
            raise InferenceError(500, f"pull model manifest: {exc}") from None
        if name.kind == "gguf":
            manifest = yield from self._pull_gguf(name, info)
        else:
            manifest = yield from self._pull_sentence(name, info)
        yield {"status": "writing manifest"}
        manifest.update(key=name.key, name=name.display, model=name.display, repo_id=name.repo_id,
                        kind=name.kind, modified_at=_now())
        self.store.put(name.key, manifest)
        with self._load_lock:  # a re-pulled model is loaded afresh
            self._unload(name.key)
        yield {"status": "success"}

    def _download(self, repo_id: str, filename: str, size: int | None, revision: str | None,
                  sha256: str | None = None):
        """Download one file into the HF cache, yielding Ollama's progress lines; returns its local path.

        The digest shown is the file's sha256 when the Hub gives it (LFS files), else a label made from its name."""
        from huggingface_hub import constants, hf_hub_download

        label = sha256 or hashlib.sha256(f"{repo_id}/{filename}".encode()).hexdigest()
        result: dict = {}

        def run():
            try:
                result["path"] = hf_hub_download(repo_id, filename, revision=revision)
            except Exception as exc:  # reported below
                result["error"] = exc

        worker = threading.Thread(target=run, daemon=True, name="course-ollama-pull")
        worker.start()
        blobs = Path(constants.HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}" / "blobs"
        total = size or 0
        yield {"status": f"pulling {label[:12]}", "digest": f"sha256:{label}", "total": total, "completed": 0}
        while worker.is_alive():
            worker.join(0.5)
            partial = [p.stat().st_size for p in blobs.glob("*.incomplete") if p.exists()] if blobs.is_dir() else []
            if worker.is_alive() and partial:
                yield {"status": f"pulling {label[:12]}", "digest": f"sha256:{label}", "total": total,
                       "completed": min(max(partial), total or max(partial))}
        if "error" in result:
            exc = result["error"]
            raise InferenceError(500, f"pull model manifest: could not download {filename} from {repo_id}: "
                                      f"{type(exc).__name__}: {exc}")
        path = Path(result["path"])
        total = path.stat().st_size
        yield {"status": f"pulling {label[:12]}", "digest": f"sha256:{label}", "total": total, "completed": total}
        return path

    def _pull_gguf(self, name: OllamaName, info):
        files = {s.rfilename: s.size for s in info.siblings or []
                 if s.rfilename.lower().endswith(".gguf") and "mmproj" not in s.rfilename.lower()}
        hashes = {s.rfilename: s.lfs.sha256 for s in info.siblings or [] if s.lfs is not None}
        if not files:
            raise InferenceError(500, 'pull model manifest: 400: {"error":"Repository is not GGUF or is not '
                                      f'compatible with llama.cpp"}} ({name.repo_id} has no .gguf file)')
        single = sorted(f for f in files if not re.search(r"-\d{5}-of-\d{5}\.gguf$", f))
        if not single:
            raise InferenceError(500, f"pull model manifest: {name.repo_id} has only split GGUF files "
                                      "(-00001-of-0000N.gguf), which the course inference server cannot pull")

        def matches(tag: str) -> list[str]:
            exact = [f for f in single if re.search(rf"(?<![A-Za-z0-9]){re.escape(tag)}(?![A-Za-z0-9_])", f, re.I)]
            return exact or [f for f in single if tag.lower() in f.lower()]

        if name.tag.lower() == "latest":
            chosen = (matches("Q4_K_M") or single)[0]
        else:
            found = matches(name.tag)
            if not found:
                raise InferenceError(500, 'pull model manifest: 400: {"error":"The specified tag is not available '
                                          'in the repository. Please use another tag or \\"latest\\""} (files: '
                                          f'{", ".join(single)})')
            chosen = found[0]
        path = yield from self._download(name.repo_id, chosen, files[chosen], info.sha, hashes.get(chosen))
        yield {"status": "verifying sha256 digest"}
        digest = _sha256(path)
        if hashes.get(chosen) and hashes[chosen] != digest:
            raise InferenceError(500, f"digest mismatch: {chosen} has sha256 {digest}, the Hub says {hashes[chosen]}")
        try:
            metadata, n_params, vocab = read_gguf(path)
        except (ValueError, OSError, struct.error) as exc:
            raise InferenceError(500, f"pull model manifest: {chosen} is not a readable GGUF file: {exc}") from None
        arch = metadata.get("general.architecture") or "unknown"
        file_type = metadata.get("general.file_type")
        quant = _FILE_TYPES.get(file_type, "unknown") if isinstance(file_type, int) else "unknown"
        eos = metadata.get("tokenizer.ggml.eos_token_id")
        stop = [vocab[eos]] if vocab and isinstance(eos, int) and 0 <= eos < len(vocab) else []
        tags = set(info.tags or []) | set(metadata.get("general.tags") or []) | _base_model_tags(info)
        model_info = {k: v for k, v in metadata.items() if not k.startswith("tokenizer.") or k in (
            "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id")}
        model_info["general.parameter_count"] = n_params
        model_info["tokenizer.ggml.tokens"] = None
        template = metadata.get("tokenizer.chat_template") or ""
        return {"file": chosen, "path": str(path), "size": path.stat().st_size, "digest": digest,
                "details": {"parent_model": "", "format": "gguf", "family": arch, "families": [arch],
                            "parameter_size": _human_count(n_params), "quantization_level": quant},
                "model_info": model_info, "template": template, "stop": stop,
                "context_length": metadata.get(f"{arch}.context_length"),
                "capabilities": ["completion"], "capabilities_actions": ["chat", "generate"],
                "stand_in": STAND_IN_TAG in tags, "license": metadata.get("general.license") or ""}

    def _pull_sentence(self, name: OllamaName, info):
        skip = re.compile(r"(^|/)(onnx|openvino)/|\.(bin|h5|msgpack|ot|onnx)$|^\.gitattributes$")
        files = {s.rfilename: s.size for s in info.siblings or [] if not skip.search(s.rfilename)}
        if "model.safetensors" not in files:
            raise InferenceError(500, f"pull model manifest: {name.repo_id} has no model.safetensors")
        paths = {}
        for filename, size in sorted(files.items()):
            paths[filename] = yield from self._download(name.repo_id, filename, size, info.sha)
        yield {"status": "verifying sha256 digest"}
        weights = paths["model.safetensors"]
        n_params, dtype = _safetensors_parameters(weights)
        config = json.loads(paths["config.json"].read_text()) if "config.json" in paths else {}
        family = config.get("model_type", "bert")
        st_config = paths.get("sentence_bert_config.json")
        context = json.loads(st_config.read_text()).get("max_seq_length", 256) if st_config else 256
        return {"file": "model.safetensors", "path": str(weights.parent), "digest": _sha256(weights),
                "size": sum(p.stat().st_size for p in paths.values()),
                "details": {"parent_model": "", "format": "safetensors", "family": family, "families": [family],
                            "parameter_size": _human_count(n_params), "quantization_level": dtype.upper()},
                "model_info": {"general.architecture": family, "general.parameter_count": n_params,
                               f"{family}.context_length": context,
                               f"{family}.embedding_length": config.get("hidden_size"),
                               f"{family}.pooling_type": "mean"},
                "template": "", "stop": [], "context_length": context, "capabilities": ["embedding"],
                "capabilities_actions": ["embeddings"], "stand_in": STAND_IN_TAG in (info.tags or []),
                "license": next((t.split(":", 1)[1] for t in info.tags or [] if t.startswith("license:")), "")}


def _base_model_tags(info) -> set[str]:
    """The Hub tags of the model(s) a GGUF repo's card names as base_model (a stand-in's GGUF is one too)."""
    from huggingface_hub import HfApi

    base = (info.card_data or {}).get("base_model") if info.card_data is not None else None
    tags: set[str] = set()
    for repo_id in [base] if isinstance(base, str) else base or []:
        try:
            tags |= set(HfApi().model_info(repo_id).tags or [])
        except Exception:  # a base model the Hub does not know: no tags from it
            continue
    return tags


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _served_by(manifest: dict) -> dict:
    via = "llama.cpp" if manifest["kind"] == "gguf" else "sentence-transformers"
    text = f"{manifest['repo_id']}/{manifest['file']} via {via}"
    return {"X-Course-Served-By": text + (" (random-weight stand-in)" if manifest.get("stand_in") else "")}


def _list_entry(manifest: dict) -> dict:
    return {"name": manifest["name"], "model": manifest["model"], "modified_at": manifest["modified_at"],
            "size": manifest["size"], "digest": manifest["digest"], "details": manifest["details"]}


# -- routes -----------------------------------------------------------------------------------------
def _messages(data: dict) -> list[dict]:
    messages = data.get("messages")
    if messages is None:
        return []
    if not isinstance(messages, list):
        raise InferenceError(400, "messages must be a list of {\"role\": ..., \"content\": ...} objects")
    clean = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not m["role"]:
            raise InferenceError(400, f"messages[{i}] needs a \"role\" (system, user, assistant or tool)")
        content = m.get("content") or ""
        if not isinstance(content, str):
            raise InferenceError(400, f"messages[{i}].content must be a string")
        if m.get("images"):
            raise InferenceError(400, "this model is missing data required for image input (the course inference "
                                      "server's models take text only)")
        clean.append({"role": m["role"], "content": content})
    return clean


def _grammar(fmt):
    if fmt in (None, ""):
        return None
    _llama_cpp()
    from llama_cpp.llama_grammar import JSON_GBNF, LlamaGrammar

    try:
        if fmt == "json":
            return LlamaGrammar.from_string(JSON_GBNF, verbose=False)
        if isinstance(fmt, dict):
            return LlamaGrammar.from_json_schema(json.dumps(fmt), verbose=False)
    except Exception as exc:
        raise InferenceError(400, f"invalid format: {exc}") from None
    raise InferenceError(400, f'invalid format: {fmt!r}; use "json" or a JSON schema object')


def _check_unsupported(data: dict, manifest: dict) -> None:
    if data.get("tools"):
        raise InferenceError(400, f'"{manifest["name"]}" does not support tools (the course inference server '
                                  "runs no tool calls)")
    if data.get("think"):
        raise InferenceError(400, f'"{manifest["name"]}" does not support thinking')
    if data.get("suffix"):
        raise InferenceError(400, f'"{manifest["name"]}" does not support insert')
    if data.get("template"):
        raise InferenceError(400, "a template in the request is a Go template, which the course inference server "
                                  "cannot run; leave it out to use the model's own chat template")


def ollama_routes(state: ServerState, models_dir: str | Path | None = None) -> list[Route]:
    """The Ollama API's routes for a course inference server's state (no token; queued faults apply)."""
    service = OllamaService(state, models_dir)
    state.ollama = service

    def route(path: str, handler, methods: list[str]) -> Route:
        return Route(path, guard(state, handler, auth=False), methods=methods)

    async def root(request: Request) -> Response:
        return PlainTextResponse("Ollama is running (the course inference server's Ollama API)")

    async def version(request: Request) -> Response:
        return JSONResponse({"version": OLLAMA_VERSION})

    async def tags(request: Request) -> Response:
        manifests = await run_in_threadpool(service.store.all)
        ordered = sorted(manifests.values(), key=lambda m: m["modified_at"], reverse=True)
        return JSONResponse({"models": [_list_entry(m) for m in ordered]})

    async def ps(request: Request) -> Response:
        loaded = await run_in_threadpool(service.loaded)
        return JSONResponse({"models": [{**_list_entry(v.manifest), "expires_at": _iso(v.expires_at),
                                         "size_vram": 0, "context_length": v.num_ctx} for v in loaded]})

    async def show(request: Request) -> Response:
        data = await _body(request)
        _, m = await run_in_threadpool(service.manifest, data.get("model") or data.get("name"))
        parameters = "\n".join(f'stop                           "{s}"' for s in m["stop"])
        modelfile = (f'# Modelfile generated by "ollama show"\n# To build a new Modelfile based on this, replace FROM '
                     f'with:\n# FROM {m["name"]}\n\nFROM {m["path"]}\n'
                     + (f'TEMPLATE """{m["template"]}"""\n' if m["template"] else "")
                     + "".join(f'PARAMETER stop "{s}"\n' for s in m["stop"]))
        return JSONResponse({"license": m["license"], "modelfile": modelfile, "parameters": parameters,
                             "template": m["template"], "details": m["details"], "model_info": m["model_info"],
                             "capabilities": m["capabilities"], "modified_at": m["modified_at"]},
                            headers=_served_by(m))

    async def pull(request: Request) -> Response:
        data = await _body(request)
        name = parse_name(data.get("model") or data.get("name"))
        events = _in_thread(lambda: service.pull(name))
        if data.get("stream", True) is False:
            last = (await run_in_threadpool(list, events))[-1]
            return JSONResponse(last)
        return await _stream(events)

    async def delete(request: Request) -> Response:
        data = await _body(request)
        model = data.get("model") or data.get("name")
        name = parse_name(model)
        if not await run_in_threadpool(service.store.delete, name.key):
            raise InferenceError(404, f"model '{model}' not found")
        await run_in_threadpool(service.unload, name.key)
        return Response(status_code=200)

    async def copy(request: Request) -> Response:
        data = await _body(request)
        _, m = await run_in_threadpool(service.manifest, data.get("source"))
        target = parse_name(data.get("destination"))
        await run_in_threadpool(service.store.put, target.key, {**m, "key": target.key, "name": target.display,
                                                                "model": target.display, "modified_at": _now()})
        return Response(status_code=200)

    async def not_here(request: Request) -> Response:
        raise InferenceError(501, f"{request.url.path} is not available on the course inference server: it serves "
                                  "pulled models only (pull, list, show, chat, generate, embed, copy, delete)")

    async def chat(request: Request) -> Response:
        return await _generate_route(request, chat=True)

    async def generate(request: Request) -> Response:
        return await _generate_route(request, chat=False)

    async def _generate_route(request: Request, chat: bool) -> Response:
        started = time.perf_counter()
        data = await _body(request)
        model = data.get("model")
        action = "chat" if chat else "generate"
        _, manifest = await run_in_threadpool(service.manifest, model, action)
        _check_unsupported(data, manifest)
        opts = _options(data)
        keep_alive = _keep_alive(data.get("keep_alive"))
        headers = _served_by(manifest)
        if chat:
            messages = _messages(data)
            empty = not messages
        else:
            prompt = data.get("prompt") or ""
            system = data.get("system") or ""
            context = data.get("context") or []
            if not isinstance(prompt, str) or not isinstance(system, str):
                raise InferenceError(400, "prompt and system must be strings")
            if not isinstance(context, list) or not all(isinstance(t, int) for t in context):
                raise InferenceError(400, "context must be a list of token ids (from a previous response)")
            empty = not prompt
        base = {"model": model}
        if empty:  # Ollama: no messages / no prompt loads (or, with keep_alive 0, unloads) the model
            if keep_alive == 0:
                await run_in_threadpool(service.unload, manifest["key"])
                reason = "unload"
            else:
                await run_in_threadpool(service.load, manifest, opts.get("num_ctx"), keep_alive)
                reason = "load"
            reply = {"message": {"role": "assistant", "content": ""}} if chat else {"response": ""}
            return JSONResponse({**base, "created_at": _now(), **reply, "done": True, "done_reason": reason},
                                headers=headers)
        grammar = _grammar(data.get("format"))

        def produce():
            loaded, load_seconds = service.load(manifest, opts.get("num_ctx"), keep_alive)
            if chat:
                def prompt_ids(model):
                    return service.prompt_tokens(model, messages, None)
            else:
                turn = ([{"role": "system", "content": system}] if system else []) + [
                    {"role": "user", "content": prompt}]

                def prompt_ids(model):
                    return [*context, *service.prompt_tokens(model, turn, prompt if data.get("raw") else None)]
            for kind, value in service.generate(loaded, prompt_ids, opts, grammar):
                if kind == "piece":
                    yield value
                else:
                    stats = dict(value, load_duration=_ns(load_seconds),
                                 total_duration=_ns(time.perf_counter() - started))
                    if keep_alive == 0:
                        service.unload(manifest["key"])
                    yield stats

        def events():
            for item in _in_thread(produce):
                if isinstance(item, str):
                    reply = {"message": {"role": "assistant", "content": item}} if chat else {"response": item}
                    yield {**base, "created_at": _now(), **reply, "done": False}
                else:
                    context_out = item.pop("context")
                    reply = {"message": {"role": "assistant", "content": ""}} if chat else {"response": ""}
                    final = {**base, "created_at": _now(), **reply, "done": True,
                             "done_reason": item.pop("done_reason"), "total_duration": item.pop("total_duration"),
                             "load_duration": item.pop("load_duration"), **item}
                    if not chat:
                        final["context"] = context_out
                    yield final

        if data.get("stream", True) is False:
            chunks = await run_in_threadpool(list, events())
            final = chunks[-1]
            text = "".join(c["message"]["content"] if chat else c["response"] for c in chunks[:-1])
            if chat:
                final["message"] = {"role": "assistant", "content": text}
            else:
                final["response"] = text
            return JSONResponse(final, headers=headers)
        return await _stream(events(), headers)

    async def embed(request: Request) -> Response:
        started = time.perf_counter()
        data = await _body(request)
        model = data.get("model")
        _, manifest = await run_in_threadpool(service.manifest, model, "embeddings")
        inputs = data.get("input", "")
        inputs = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(inputs, list) or not all(isinstance(s, str) for s in inputs):
            raise InferenceError(400, "invalid input type: input must be a string or a list of strings")
        inputs = [s for s in inputs if s] if len(inputs) == 1 else inputs
        dims = data.get("dimensions")
        if dims is not None and (isinstance(dims, bool) or not isinstance(dims, int) or dims < 1):
            raise InferenceError(400, f"dimensions must be a positive integer, got {dims!r}")
        keep_alive = _keep_alive(data.get("keep_alive"))
        truncate = data.get("truncate", True) is not False

        def run():
            _, load_seconds = service.load(manifest, None, keep_alive)
            if not inputs:
                return [], load_seconds, 0
            model_st = service.state.registry._load("sentence", manifest["repo_id"])
            counts = [len(ids) for ids in model_st.tokenizer(inputs)["input_ids"]]
            limit = model_st.max_seq_length
            if not truncate and max(counts) > limit:
                raise InferenceError(400, f"input length exceeds the context length ({max(counts)} tokens, the "
                                          f"model takes {limit}); shorten it or set truncate to true")
            vectors = service.state.registry.embed(manifest["repo_id"], inputs, normalize=True)
            if dims is not None:
                if dims > vectors.shape[1]:
                    raise InferenceError(400, f"dimensions {dims} is more than the model's {vectors.shape[1]}")
                vectors = vectors[:, :dims]
                vectors = vectors / (((vectors**2).sum(axis=1, keepdims=True)) ** 0.5).clip(min=1e-12)
            return vectors.tolist(), load_seconds, sum(min(c, limit) for c in counts)

        vectors, load_seconds, count = await run_in_threadpool(run)
        total = _ns(time.perf_counter() - started)
        return JSONResponse({"model": model, "embeddings": vectors, "total_duration": total,
                             "load_duration": _ns(load_seconds), "prompt_eval_count": count},
                            headers=_served_by(manifest))

    async def embeddings(request: Request) -> Response:  # the legacy route: one prompt, not normalised
        data = await _body(request)
        _, manifest = await run_in_threadpool(service.manifest, data.get("model"), "embeddings")
        prompt = data.get("prompt") or ""
        if not isinstance(prompt, str):
            raise InferenceError(400, "prompt must be a string")
        keep_alive = _keep_alive(data.get("keep_alive"))

        def run():
            service.load(manifest, None, keep_alive)
            return service.state.registry.embed(manifest["repo_id"], [prompt])[0].tolist() if prompt else []

        return JSONResponse({"embedding": await run_in_threadpool(run)}, headers=_served_by(manifest))

    return [
        Route("/", root, methods=["GET", "HEAD"]),
        route("/api/version", version, ["GET"]),
        route("/api/tags", tags, ["GET"]),
        route("/api/ps", ps, ["GET"]),
        route("/api/show", show, ["POST"]),
        route("/api/pull", pull, ["POST"]),
        route("/api/delete", delete, ["DELETE"]),
        route("/api/copy", copy, ["POST"]),
        route("/api/chat", chat, ["POST"]),
        route("/api/generate", generate, ["POST"]),
        route("/api/embed", embed, ["POST"]),
        route("/api/embeddings", embeddings, ["POST"]),
        route("/api/create", not_here, ["POST"]),
        route("/api/push", not_here, ["POST"]),
    ]
