"""The course inference server's HTTP routes: what InferenceClient and the openai client send, answered.

- `POST /v1/chat/completions` (also `/{provider}/v1/chat/completions`): OpenAI-compatible chat, with SSE
  streaming; the model may carry a ":provider" or ":policy" suffix, as on router.huggingface.co.
- `POST /hf-inference/models/{org}/{name}` and `.../pipeline/{feature-extraction|sentence-similarity}`: the
  HF-Inference/TGI task formats (text generation incl. streaming, summarization, text classification,
  feature extraction, sentence similarity), the routes the router serves under the same paths.
- Errors as the router answers them: 401 (no or wrong token), 403 (gated), 404 (unknown model), and on request
  (`Faults`) 429 with Retry-After, 503 while "loading", or a slow answer. Bad bodies get 400/422 with a message.

Tokens are compared as hashes and never logged. More routes come in with `extra_routes`; InferenceServer adds
the Ollama API (ollama.py), which needs no token.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .models import MAX_NEW_TOKENS, InferenceError, ModelRegistry, Resolved

HEALTH_PATH = "/course-inference/health"
CHAT_TASKS = ("conversational", None)


@dataclass
class Fault:
    status: int | None  # None: answer normally, after `delay`
    retry_after: float | None = None
    delay: float = 0.0


class Faults:
    """Answers the server was told to give next, in order (thread-safe). Tests and lessons queue them."""

    def __init__(self):
        self._queue: deque[Fault] = deque()
        self._lock = threading.Lock()

    def add(self, status: int | None = None, times: int = 1, retry_after: float | None = None,
            delay: float = 0.0) -> None:
        if status is not None and status not in (429, 500, 502, 503, 504):
            raise ValueError(f"status={status}: simulate 429, 500, 502, 503 or 504 (401/403/404 come from real "
                             "causes: a wrong token, a gated or an unknown model).")
        if times < 1 or delay < 0 or (retry_after is not None and retry_after < 0):
            raise ValueError("times must be >= 1, delay and retry_after >= 0.")
        with self._lock:
            self._queue.extend(Fault(status, retry_after, delay) for _ in range(times))

    def pop(self) -> Fault | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def __len__(self) -> int:
        return len(self._queue)


class ServerState:
    def __init__(self, tokens: set[str] | None, registry: ModelRegistry):
        self.token_hashes = {hashlib.sha256(t.encode()).digest() for t in (tokens or ())}
        self.require_token = tokens is not None
        self.registry = registry
        # tokens per streamed chat chunk: 1 like most servers; more, like servers that batch their stream
        self.tokens_per_chunk = 1
        self.faults = Faults()
        # (monotonic time, path, status) of the latest requests: no headers, no bodies; bounded for long kernels
        self.requests: deque[tuple[float, str, int]] = deque(maxlen=10_000)

    def token_ok(self, request: Request) -> None:
        if not self.require_token:
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InferenceError(401, "No token: send 'Authorization: Bearer hf_...'. Create a fine-grained token "
                                      "with the 'Make calls to Inference Providers' permission at "
                                      "https://huggingface.co/settings/tokens and put it in .env as HF_TOKEN.")
        digest = hashlib.sha256(token.strip().encode()).digest()
        if not any(hmac.compare_digest(digest, h) for h in self.token_hashes):
            raise InferenceError(401, "Invalid credentials in Authorization header: the token is wrong, revoked "
                                      "or expired. Check HF_TOKEN in .env (no quotes or spaces), or create a new "
                                      "token at https://huggingface.co/settings/tokens.")


def _error_response(exc: InferenceError) -> Response:
    return JSONResponse({"error": exc.message, **exc.extra}, status_code=exc.status, headers=exc.headers)


async def json_body(request: Request) -> dict:
    """The request's JSON object, or a 400 that says what is wrong with it (the Ollama routes use it too)."""
    body = await request.body()  # read in full, always (keep-alive)
    try:
        data = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InferenceError(400, f"The request body is not valid JSON ({exc}). Send a JSON object with "
                                  "Content-Type: application/json.") from None
    if not isinstance(data, dict):
        raise InferenceError(400, f"The request body must be a JSON object, got {type(data).__name__}.")
    return data


def number(data: dict, name: str, default, low: float, high: float, integer: bool = False, status: int = 422):
    """data[name] checked to be a number (an int if `integer`) in [low, high]; `default` when absent or null."""
    value = data.get(name, default)
    if value is None:
        return default
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or not low <= value <= high:
        kind = "an integer" if integer else "a number"
        raise InferenceError(status, f"'{name}' must be {kind} between {low} and {high}, got {value!r}.")
    return value


def chat_messages(data: dict, status: int = 422) -> list[dict]:
    """data["messages"] as [{"role", "content"}] with text content, or `status` (422; 400 on the Ollama routes)."""
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InferenceError(status, "'messages' must be a non-empty list of {'role': ..., 'content': ...} objects.")
    clean = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
            raise InferenceError(status, f"messages[{i}] needs a 'role' of system, user or assistant.")
        content = m.get("content")
        if isinstance(content, list):  # OpenAI content parts: keep the text ones
            texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
            if len(texts) != len(content):
                raise InferenceError(status, f"messages[{i}]: only text content is supported by this server.")
            content = "".join(texts)
        if not isinstance(content, str):
            raise InferenceError(status, f"messages[{i}] needs 'content' as a string.")
        clean.append({"role": m["role"], "content": content})
    return clean


def _stop(data: dict, name: str = "stop") -> list[str] | None:
    stop = data.get(name)
    if stop is None:
        return None
    stop = [stop] if isinstance(stop, str) else stop
    if not isinstance(stop, list) or not all(isinstance(s, str) and s for s in stop):
        raise InferenceError(422, f"'{name}' must be a string or a list of non-empty strings.")
    return stop


def _served_headers(resolved: Resolved) -> dict:
    served = resolved.served_by
    if resolved.stand_in:  # a catalogue-only model answered by a real small one
        served += f" (stand-in for {resolved.model_id}, which has no weights in the course hub)"
    elif "course-stand-in" in resolved.tags:
        served += " (random-weight stand-in)"
    return {"X-Course-Served-By": served}


def _sse(obj) -> bytes:
    return f"data: {json.dumps(obj)}\n\n".encode()


# -- chat -------------------------------------------------------------------------------------------
async def chat_completions(state: ServerState, request: Request, data: dict) -> Response:
    for unsupported in ("tools", "functions"):
        if data.get(unsupported):
            raise InferenceError(422, f"'{unsupported}' is not supported by the course inference server.")
    messages = chat_messages(data)
    if number(data, "n", 1, 1, 1, integer=True) != 1:
        raise InferenceError(422, "'n' must be 1.")
    max_tokens = number(data, "max_completion_tokens", 64, 1, MAX_NEW_TOKENS, True)
    max_tokens = number(data, "max_tokens", max_tokens, 1, MAX_NEW_TOKENS, True)
    stream_options = data.get("stream_options")
    if stream_options is not None and not isinstance(stream_options, dict):
        raise InferenceError(422, "'stream_options' must be a JSON object such as {\"include_usage\": true}, "
                                  f"got {type(stream_options).__name__}.")
    temperature = number(data, "temperature", 0.0, 0.0, 2.0)
    top_p = number(data, "top_p", None, 0.0, 1.0)
    seed = number(data, "seed", None, 0, 2**32 - 1, integer=True)
    stop = _stop(data)
    resolved = await run_in_threadpool(state.registry.resolve, data.get("model"), "conversational")
    input_ids = await run_in_threadpool(state.registry.chat_prompt, resolved.served_by, messages)
    stats: dict = {}
    pieces = state.registry.generate(resolved.served_by, input_ids, max_tokens, temperature, top_p, seed, stop,
                                     stats=stats)
    reply_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    prompt_tokens = int(input_ids.shape[-1])
    headers = _served_headers(resolved)

    if data.get("stream"):
        include_usage = bool((stream_options or {}).get("include_usage"))

        def events():
            base = {"id": reply_id, "object": "chat.completion.chunk", "created": created,
                    "model": resolved.requested, "system_fingerprint": "course-inference"}
            yield _sse({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                             "finish_reason": None, "logprobs": None}]})
            group: list[str] = []
            try:
                for piece in pieces:
                    group.append(piece)
                    if len(group) == state.tokens_per_chunk:
                        yield _sse({**base, "choices": [{"index": 0, "delta": {"content": "".join(group)},
                                                         "finish_reason": None, "logprobs": None}]})
                        group = []
                if group:
                    yield _sse({**base, "choices": [{"index": 0, "delta": {"content": "".join(group)},
                                                     "finish_reason": None, "logprobs": None}]})
            except InferenceError as exc:
                yield _sse({"error": exc.message, "error_type": "generation"})
                return
            completion, finish = stats["completion_tokens"], stats["finish_reason"]
            yield _sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish, "logprobs": None}]})
            if include_usage:
                yield _sse({**base, "choices": [], "usage": {"prompt_tokens": prompt_tokens,
                                                             "completion_tokens": completion,
                                                             "total_tokens": prompt_tokens + completion}})
            yield b"data: [DONE]\n\n"

        return StreamingResponse(iterate_in_threadpool(events()), media_type="text/event-stream", headers=headers)

    text = "".join(await run_in_threadpool(list, pieces))
    completion, finish = stats["completion_tokens"], stats["finish_reason"]
    return JSONResponse({
        "id": reply_id, "object": "chat.completion", "created": created, "model": resolved.requested,
        "system_fingerprint": "course-inference",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion,
                  "total_tokens": prompt_tokens + completion},
    }, headers=headers)


# -- HF-Inference task routes ---------------------------------------------------------------------
def _parameters(data: dict) -> dict:
    params = data.get("parameters") or {}
    if not isinstance(params, dict):
        raise InferenceError(422, "'parameters' must be a JSON object.")
    return params


def _text_inputs(data: dict, allow_list: bool = False):
    inputs = data.get("inputs")
    if isinstance(inputs, str) and inputs.strip():
        return inputs
    if allow_list and isinstance(inputs, list) and inputs and all(isinstance(s, str) for s in inputs):
        return inputs
    shape = "a non-empty string" + (" or a list of strings" if allow_list else "")
    raise InferenceError(422, f"'inputs' must be {shape}, got {type(inputs).__name__}.")


async def task_route(state: ServerState, request: Request, data: dict, model: str, task: str | None) -> Response:
    resolved = await run_in_threadpool(state.registry.resolve, model, task or "task")
    if resolved.stand_in:
        raise InferenceError(400, f"Model {resolved.model_id} is metadata only in the course hub.")
    task = task or resolved.pipeline_tag
    headers = _served_headers(resolved)
    params = _parameters(data)
    reg, repo = state.registry, resolved.served_by

    if task in ("feature-extraction", "sentence-similarity") and isinstance(data.get("inputs"), dict):
        task = "sentence-similarity"
    elif task == "sentence-similarity":
        task = "feature-extraction"  # the HF-Inference API embeds plain inputs on the model route
    if task == "sentence-similarity":
        inputs = data["inputs"]
        source, others = inputs.get("source_sentence"), inputs.get("sentences")
        if not isinstance(source, str) or not isinstance(others, list) or not others \
                or not all(isinstance(s, str) for s in others):
            raise InferenceError(422, "'inputs' must be {'source_sentence': str, 'sentences': [str, ...]}.")
        return JSONResponse(await run_in_threadpool(reg.similarity, repo, source, others), headers=headers)
    if task == "feature-extraction":
        inputs = _text_inputs(data, allow_list=True)
        normalize = bool(data.get("normalize", params.get("normalize", False)))
        vectors = await run_in_threadpool(reg.embed, repo, [inputs] if isinstance(inputs, str) else inputs,
                                          normalize)
        result = vectors.tolist()
        return JSONResponse(result[0] if isinstance(inputs, str) else result, headers=headers)
    if task == "text-classification":
        top_k = number(params, "top_k", None, 1, 1000, integer=True)
        ranked = await run_in_threadpool(reg.classify, repo, _text_inputs(data), top_k,
                                         params.get("function_to_apply"))
        return JSONResponse([ranked], headers=headers)
    if task == "summarization":
        gen = params.get("generate_parameters") or {}
        max_new = number(gen if isinstance(gen, dict) else {}, "max_new_tokens", 60, 1, MAX_NEW_TOKENS, True)
        summary = await run_in_threadpool(reg.summarize, repo, _text_inputs(data), max_new)
        return JSONResponse([{"summary_text": summary}], headers=headers)
    if task == "text-generation":
        return await _text_generation(state, data, params, resolved, headers)
    raise InferenceError(400, f"Model {resolved.model_id} is a {task!r} model; this server answers "
                              "text-generation, summarization, text-classification, feature-extraction and "
                              "sentence-similarity.")


async def _text_generation(state: ServerState, data: dict, params: dict, resolved: Resolved, headers: dict):
    prompt = _text_inputs(data)
    max_new = number(params, "max_new_tokens", 20, 1, MAX_NEW_TOKENS, integer=True)
    temperature = number(params, "temperature", None, 0.0, 100.0)
    temperature = temperature if params.get("do_sample", temperature is not None) else None
    seed = number(params, "seed", None, 0, 2**63 - 1, integer=True)
    input_ids = await run_in_threadpool(state.registry.text_prompt, resolved.served_by, prompt)
    stats: dict = {}
    pieces = state.registry.generate(resolved.served_by, input_ids, max_new, temperature,
                                     number(params, "top_p", None, 0.0, 1.0), seed, _stop(params), stats=stats)
    prefix = prompt if params.get("return_full_text") else ""

    if data.get("stream"):
        def events():
            text, n = "", 0
            for piece in pieces:
                text, n = text + piece, n + 1
                yield _sse({"index": n, "token": {"id": 0, "text": piece, "logprob": 0.0, "special": False},
                            "generated_text": None, "details": None})
            yield _sse({"index": n + 1, "token": {"id": 0, "text": "", "logprob": 0.0, "special": True},
                        "generated_text": prefix + text,
                        "details": {"finish_reason": _tgi_finish(stats), "generated_tokens": stats["completion_tokens"],
                                    "seed": seed}})

        return StreamingResponse(iterate_in_threadpool(events()), media_type="text/event-stream", headers=headers)
    text = "".join(await run_in_threadpool(list, pieces))
    out = {"generated_text": prefix + text}
    if params.get("details"):
        out["details"] = {"finish_reason": _tgi_finish(stats), "generated_tokens": stats["completion_tokens"],
                          "seed": seed, "prefill": [], "tokens": []}
    return JSONResponse([out], headers=headers)


def _tgi_finish(stats: dict) -> str:
    return "length" if stats["finish_reason"] == "length" else "eos_token"


# -- the app --------------------------------------------------------------------------------------
def _split_model_path(rest: str) -> tuple[str, str]:
    """'org/name/pipeline/feature-extraction' -> ('org/name', 'pipeline/feature-extraction')."""
    parts = [p for p in rest.split("/") if p]
    n = 2 if len(parts) >= 2 and parts[1] not in ("pipeline", "v1") else 1
    return "/".join(parts[:n]), "/".join(parts[n:])


def guard(state: ServerState, handler, auth: bool = True):
    """Wrap a route handler with what every inference route does: the token check (auth=False: none, as for
    the Ollama API), queued faults, the request record, and InferenceError -> an HTTP answer."""

    async def endpoint(request: Request) -> Response:
        status = 500
        try:
            if auth:
                state.token_ok(request)
            fault = state.faults.pop()
            if fault is not None:
                await request.body()
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status is not None:
                    raise _fault_error(fault)
            response = await handler(request)
            status = response.status_code
            return response
        except InferenceError as exc:
            status = exc.status
            return _error_response(exc)
        finally:
            state.requests.append((time.monotonic(), request.url.path, status))

    return endpoint


def create_app(state: ServerState, extra_routes=None) -> Starlette:
    """The app. `extra_routes`: a list of Starlette routes, or a function state -> routes (to use `guard`)."""
    guarded = functools.partial(guard, state)

    async def chat(request: Request) -> Response:
        return await chat_completions(state, request, await json_body(request))

    async def hf_inference(request: Request) -> Response:
        model, rest = _split_model_path(request.path_params["rest"])
        data = await json_body(request)
        if rest in ("v1/chat/completions", "chat/completions"):
            if data.get("model") in (None, "", "dummy"):  # the client's placeholder when the URL names the model
                data["model"] = model
            return await chat_completions(state, request, data)
        if rest == "":
            return await task_route(state, request, data, model, None)
        if rest in ("pipeline/feature-extraction", "pipeline/sentence-similarity"):
            return await task_route(state, request, data, model, rest.split("/")[1])
        raise InferenceError(404, f"No route /{rest} for a model: use /hf-inference/models/{{org}}/{{name}}, "
                                  ".../pipeline/feature-extraction or .../pipeline/sentence-similarity.")

    async def health(request: Request) -> Response:
        return JSONResponse({"course_inference": True, "status": "ok"})

    routes = [
        Route(HEALTH_PATH, health),
        Route("/v1/chat/completions", guarded(chat), methods=["POST"]),
        Route("/{provider}/v1/chat/completions", guarded(chat), methods=["POST"]),
        Route("/hf-inference/models/{rest:path}", guarded(hf_inference), methods=["POST"]),
        *((extra_routes(state) if callable(extra_routes) else extra_routes) or []),
    ]
    return Starlette(routes=routes)


def _fault_error(fault: Fault) -> InferenceError:
    if fault.status == 429:
        headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
        return InferenceError(429, "Rate limit reached: too many requests for your account. Slow down, retry after "
                                   "the time in the Retry-After header, or use a dedicated Inference Endpoint.",
                              headers=headers)
    if fault.status == 503:
        wait = fault.retry_after if fault.retry_after is not None else 1.0
        return InferenceError(503, "Model is currently loading", headers={"Retry-After": f"{wait:g}"},
                              extra={"estimated_time": wait})
    return InferenceError(fault.status, f"Upstream error {fault.status}: try again shortly.")
