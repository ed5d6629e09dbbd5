"""The course inference server driven through the stock clients (InferenceClient, its async twin, openai),
every error case a lesson shows, a busy port, and bad input. Chat goes to the real SmolLM2-135M-Instruct (it also
answers every catalogue-only chat model): mechanics are checked (types, shapes, status codes, streams that join
to the full reply), and of its text only what it reliably does greedily (a fixed factual answer, a summary closer
in meaning to its product's reviews). The real all-MiniLM-L6-v2 is checked for meaning; the random-weight
stand-ins (GPT-2, BART, DistilBERT) never on their text."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time

import httpx
import numpy as np
import pytest
from huggingface_hub import AsyncInferenceClient, InferenceClient
from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError

from course_offline.inference import InferenceServer, InferenceServerError, inference_health, split_model
from course_utils.retry import with_retries

TOKEN = "hf_inferencetestsessiontoken0000"
CHAT = "HuggingFaceTB/SmolLM2-135M-Instruct"  # the real model, weights in the course hub
STANDIN_CHAT = "Qwen/Qwen2.5-0.5B-Instruct"  # the tiny random-weight stand-in: mechanics only
HOSTED_CHAT = "Qwen/Qwen2.5-7B-Instruct"  # metadata only offline (providers: featherless-ai, together): SmolLM2 answers
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}]


@pytest.fixture(scope="module")
def server(hub):
    with InferenceServer(tokens={TOKEN}, port=0) as srv:
        yield srv


def _chat_client(server, **kw) -> InferenceClient:
    return InferenceClient(base_url=server.url + "/v1", api_key=TOKEN, **kw)


def _task_url(server, model, pipeline=None) -> str:
    url = f"{server.url}/hf-inference/models/{model}"
    return f"{url}/pipeline/{pipeline}" if pipeline else url


def _post(server, path, body=None, token=TOKEN, raw=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(server.url + path, json=body if raw is None else None, content=raw, headers=headers,
                      timeout=60)


# -- chat -----------------------------------------------------------------------------------------
def test_chat_completion_shapes_and_usage(fresh):
    out = _chat_client(fresh).chat_completion(MESSAGES, model=CHAT, max_tokens=8)
    assert out.model == CHAT and out.object == "chat.completion"
    assert isinstance(out.choices[0].message.content, str) and out.choices[0].message.role == "assistant"
    assert 1 <= out.usage.completion_tokens <= 8 and out.usage.prompt_tokens > 0
    assert out.usage.total_tokens == out.usage.prompt_tokens + out.usage.completion_tokens
    assert out.choices[0].finish_reason in ("length", "stop")


def test_catalogue_chat_models_get_the_real_smollm2_greedy_answer(fresh):
    question = [{"role": "user", "content": "What is the capital of France?"}]
    client = _chat_client(fresh)
    direct = client.chat_completion(question, model=CHAT, max_tokens=12, temperature=0).choices[0].message.content
    hosted = client.chat_completion(question, model=f"{HOSTED_CHAT}:together", max_tokens=12, temperature=0)
    assert "Paris" in direct and hosted.choices[0].message.content == direct
    assert hosted.model == f"{HOSTED_CHAT}:together"


def test_review_summary_is_closer_to_its_products_reviews(fresh):
    """Lesson 05's summary request (the prompt in prompts/, greedy): by the real MiniLM, it is nearer in meaning to
    its product's reviews than to another category's product."""
    from course_utils.data import load_reviews
    from course_utils.paths import repo_root

    reviews = load_reviews(split="train", verbose=False)
    mine = [r for r in reviews if r["product_id"] == "p001"][:2]
    other = [r for r in reviews if r["category"] != mine[0]["category"]]
    other = [r for r in other if r["product_id"] == other[0]["product_id"]][:2]
    system = (repo_root() / "prompts" / "summarize_reviews.txt").read_text(encoding="utf-8")
    user = (f"Product: {mine[0]['product']}\n\nReviews:\n"
            + "\n".join(f"- ({r['rating']}/5) {r['title']}: {r['text']}" for r in mine))
    reply = _chat_client(fresh).chat_completion([{"role": "system", "content": system},
                                                 {"role": "user", "content": user}],
                                                model=HOSTED_CHAT, max_tokens=24, temperature=0)
    summary = reply.choices[0].message.content
    embed = InferenceClient(base_url=_task_url(fresh, MINILM), api_key=TOKEN).feature_extraction
    s = embed(summary, normalize=True)
    near = {name: float(s @ embed([r["text"] for r in group], normalize=True).mean(axis=0))
            for name, group in (("mine", mine), ("other", other))}
    assert near["mine"] > near["other"], (summary, near)


@pytest.mark.parametrize("stream", [False, True])
def test_usage_counts_the_generated_tokens_and_never_exceeds_max_tokens(fresh, stream):
    # decoded text re-tokenised can give another count than was generated: count the generated ids
    client = _chat_client(fresh)
    for seed in range(3):
        kw = {"max_tokens": 12, "temperature": 0.7, "seed": seed}
        if stream:
            chunks = list(client.chat_completion(MESSAGES, model=HOSTED_CHAT, stream=True,
                                                 stream_options={"include_usage": True}, **kw))
            finish = next(c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason)
            usage = chunks[-1].usage
        else:
            out = client.chat_completion(MESSAGES, model=HOSTED_CHAT, **kw)
            finish, usage = out.choices[0].finish_reason, out.usage
        assert 1 <= usage.completion_tokens <= 12
        assert finish == ("length" if usage.completion_tokens == 12 else "stop")


def test_text_generation_details_count_generated_tokens(fresh):
    client = InferenceClient(api_key=TOKEN)
    gpt2 = _task_url(fresh, "openai-community/gpt2")
    for seed in range(3):
        out = client.text_generation("The lid", model=gpt2, max_new_tokens=24, details=True, do_sample=True,
                                     temperature=1.5, seed=seed)
        assert out.details.generated_tokens <= 24
        assert (out.details.finish_reason == "length") == (out.details.generated_tokens == 24)
        streamed = list(client.text_generation("The lid", model=gpt2, max_new_tokens=24, details=True,
                                               stream=True, do_sample=True, temperature=1.5, seed=seed))
        assert streamed[-1].details.generated_tokens <= 24


def test_stream_joins_to_the_full_reply(fresh):
    client = _chat_client(fresh)
    full = client.chat_completion(MESSAGES, model=CHAT, max_tokens=12, temperature=0).choices[0].message.content
    chunks = list(client.chat_completion(MESSAGES, model=CHAT, max_tokens=12, temperature=0, stream=True))
    pieces = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert len(pieces) > 2 and "".join(pieces) == full
    assert chunks[-1].choices[0].finish_reason in ("length", "stop")


def test_provider_suffix_and_policies_are_accepted_like_the_router(fresh):
    client = _chat_client(fresh)
    for model in (f"{HOSTED_CHAT}:together", f"{HOSTED_CHAT}:fastest", HOSTED_CHAT, f"{CHAT}:together"):
        assert client.chat_completion(MESSAGES, model=model, max_tokens=3).model == model
    reply = _post(fresh, "/v1/chat/completions", {"model": f"{HOSTED_CHAT}:together", "messages": MESSAGES,
                                                  "max_tokens": 2})
    served = reply.headers["x-course-served-by"]  # a metadata-only model says who answered
    assert served.startswith(CHAT) and f"stand-in for {HOSTED_CHAT}" in served
    assert "stand-in" not in _post(fresh, "/v1/chat/completions", {"model": CHAT, "messages": MESSAGES,
                                                                  "max_tokens": 2}).headers["x-course-served-by"]
    with pytest.raises(HfHubHTTPError) as err:
        client.chat_completion(MESSAGES, model=f"{HOSTED_CHAT}:groq", max_tokens=3)
    assert err.value.response.status_code == 400 and "together" in str(err.value)
    assert split_model("Qwen/Qwen2.5-7B-Instruct:together") == ("Qwen/Qwen2.5-7B-Instruct", "together")
    assert split_model("gpt2") == ("gpt2", "auto")


def test_openai_client_same_call_and_stream(fresh):
    from openai import OpenAI

    client = OpenAI(base_url=fresh.url + "/v1", api_key=TOKEN)
    out = client.chat.completions.create(model=CHAT, messages=MESSAGES, max_tokens=10, temperature=0)
    stream = client.chat.completions.create(model=CHAT, messages=MESSAGES, max_tokens=10, temperature=0,
                                            stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == out.choices[0].message.content
    assert chunks[-1].usage.completion_tokens == out.usage.completion_tokens


def test_async_client_runs_requests_concurrently(fresh):
    texts = ["the battery lasts all week", "the lid broke", "fast delivery"]

    async def run():
        client = AsyncInferenceClient(api_key=TOKEN)
        url = _task_url(fresh, MINILM, "feature-extraction")
        return await asyncio.gather(*(client.feature_extraction(t, model=url) for t in texts))

    vectors = asyncio.run(run())
    sync = InferenceClient(api_key=TOKEN)
    for text, vec in zip(texts, vectors, strict=True):
        ref = sync.feature_extraction(text, model=_task_url(fresh, MINILM, "feature-extraction"))
        assert vec.shape == (384,) and np.allclose(vec, ref, atol=1e-5)


def test_async_chat_stream(fresh):
    async def run():
        client = AsyncInferenceClient(base_url=fresh.url + "/v1", api_key=TOKEN)
        stream = await client.chat_completion(MESSAGES, model=CHAT, max_tokens=6, stream=True)
        return [c async for c in stream]

    chunks = asyncio.run(run())
    assert chunks and all(c.object == "chat.completion.chunk" for c in chunks)


def test_inference_server_can_send_several_tokens_per_chunk(hub):
    from openai import OpenAI

    from course_offline.inference import InferenceServer, InferenceServerError

    with pytest.raises(InferenceServerError, match="tokens_per_chunk"):
        InferenceServer(tokens_per_chunk=0)
    with InferenceServer(tokens={"hf_x"}, tokens_per_chunk=3) as server:
        client = OpenAI(base_url=server.url + "/v1", api_key="hf_x")
        chunks = [c for c in client.chat.completions.create(
            model=STANDIN_CHAT, messages=[{"role": "user", "content": "Hi"}], max_tokens=7, stream=True,
            stream_options={"include_usage": True})]
    contents = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    usage = [c.usage for c in chunks if c.usage is not None]
    assert usage[0].completion_tokens == 7
    assert len(contents) == 3  # 3 + 3 + 1 tokens


# -- task routes ----------------------------------------------------------------------------------
def test_feature_extraction_and_similarity_mean_something(fresh):
    client = InferenceClient(api_key=TOKEN)
    one = client.feature_extraction("a cat sat on the mat", model=_task_url(fresh, MINILM, "feature-extraction"))
    many = client.feature_extraction(["a cat", "a kitten", "a lorry"], model=_task_url(fresh, MINILM))
    assert one.shape == (384,) and many.shape == (3, 384) and many.dtype == np.float32
    scores = client.sentence_similarity("a cat", ["a kitten", "a lorry"],
                                        model=_task_url(fresh, MINILM, "sentence-similarity"))
    assert scores[0] > scores[1]
    cos = float(many[0] @ many[1] / np.linalg.norm(many[0]) / np.linalg.norm(many[1]))
    assert scores[0] == pytest.approx(cos, abs=1e-4)


def test_task_methods_with_a_model_url_as_base_url(fresh):
    """Lesson 05 section 4 offline: one client per model, base_url = its route; the calls name no model."""
    embedder = InferenceClient(base_url=_task_url(fresh, MINILM), api_key=TOKEN)
    one, two = embedder.feature_extraction("a cat"), embedder.feature_extraction(["a cat", "a kitten"])
    assert one.shape == (384,) and two.shape == (2, 384) and np.allclose(one, two[0], atol=1e-5)
    scores = embedder.sentence_similarity("a cat", ["a kitten", "a lorry"])
    assert scores[0] > scores[1]
    ranked = InferenceClient(base_url=_task_url(fresh, SST2), api_key=TOKEN).text_classification("I love it")
    assert {r.label for r in ranked} == {"POSITIVE", "NEGATIVE"}


def test_text_classification_summarization_text_generation(fresh):
    client = InferenceClient(api_key=TOKEN)
    ranked = client.text_classification("I love it", model=_task_url(fresh, SST2))
    assert {r.label for r in ranked} == {"POSITIVE", "NEGATIVE"}
    assert sum(r.score for r in ranked) == pytest.approx(1.0) and ranked[0].score >= ranked[1].score
    assert len(client.text_classification("I love it", model=_task_url(fresh, SST2), top_k=1)) == 1
    bart = _task_url(fresh, "facebook/bart-large-cnn")
    summary = client.summarization("The lid broke after a week. " * 5, model=bart)
    assert isinstance(summary.summary_text, str)
    gpt2 = _task_url(fresh, "openai-community/gpt2")
    text = client.text_generation("Hello", model=gpt2, max_new_tokens=6)
    pieces = list(client.text_generation("Hello", model=gpt2, max_new_tokens=6, stream=True))
    assert isinstance(text, str) and "".join(pieces) == text
    details = client.text_generation("Hello", model=gpt2, max_new_tokens=6, details=True)
    assert details.generated_text == text and details.details.generated_tokens <= 6


# -- errors ---------------------------------------------------------------------------------------
def test_no_token_and_wrong_token_get_401(fresh):
    assert _post(fresh, "/v1/chat/completions", {"model": CHAT, "messages": MESSAGES}, token=None).status_code == 401
    with pytest.raises(HfHubHTTPError) as err:
        InferenceClient(base_url=fresh.url + "/v1", api_key="hf_wrong").chat_completion(MESSAGES, model=CHAT)
    assert err.value.response.status_code == 401 and "Invalid credentials" in str(err.value)
    from openai import AuthenticationError, OpenAI

    with pytest.raises(AuthenticationError):
        OpenAI(base_url=fresh.url + "/v1", api_key="hf_wrong").chat.completions.create(model=CHAT, messages=MESSAGES)


def test_gated_unknown_and_non_chat_models(fresh):
    client = _chat_client(fresh)
    cases = {"meta-llama/Llama-3.1-8B-Instruct": 403, "open-models-course/no-such-model": 404,
             "google/flan-t5-small": 400}
    for model, status in cases.items():
        with pytest.raises(HfHubHTTPError) as err:
            client.chat_completion(MESSAGES, model=model, max_tokens=2)
        assert err.value.response.status_code == status, model
    with pytest.raises(HfHubHTTPError) as err:
        InferenceClient(api_key=TOKEN).feature_extraction("x", model=_task_url(fresh, "nobody/nothing"))
    assert err.value.response.status_code == 404


def test_429_carries_retry_after_and_the_retry_helper_honours_it(fresh):
    client = InferenceClient(api_key=TOKEN)
    url = _task_url(fresh, MINILM, "feature-extraction")
    fresh.simulate(429, retry_after=7)
    with pytest.raises(HfHubHTTPError) as err:
        client.feature_extraction("x", model=url)
    assert err.value.response.status_code == 429 and err.value.response.headers["retry-after"] == "7"
    fresh.simulate(429, times=2, retry_after=3)
    waits = []
    vector = with_retries(client.feature_extraction, attempts=3, sleep=waits.append, on_retry=None)("x", model=url)
    assert waits == [3.0, 3.0] and vector.shape == (384,)
    statuses = [s for _, path, s in list(fresh.requests)[-3:]]
    assert statuses == [429, 429, 200]


def test_retry_gives_up_and_raises_the_last_error(fresh):
    fresh.simulate(429, times=5, retry_after=1)
    waits = []
    call = with_retries(_chat_client(fresh).chat_completion, attempts=3, sleep=waits.append, on_retry=None)
    with pytest.raises(HfHubHTTPError) as err:
        call(MESSAGES, model=CHAT, max_tokens=2)
    assert err.value.response.status_code == 429 and len(waits) == 2 and len(fresh.faults) == 2


def test_503_model_loading_then_success(fresh):
    fresh.simulate(503, retry_after=4)
    waits = []
    out = with_retries(_chat_client(fresh).chat_completion, sleep=waits.append, on_retry=None)(
        MESSAGES, model=CHAT, max_tokens=2)
    assert waits == [4.0] and out.choices
    fresh.simulate(503, retry_after=2)
    reply = _post(fresh, "/v1/chat/completions", {"model": CHAT, "messages": MESSAGES})
    assert reply.status_code == 503 and reply.json()["estimated_time"] == 2


def test_slow_answer_meets_the_client_timeout(fresh):
    fresh.simulate(delay=1.5)
    start = time.perf_counter()
    with pytest.raises(InferenceTimeoutError):
        _chat_client(fresh, timeout=0.3).chat_completion(MESSAGES, model=CHAT, max_tokens=2)
    assert time.perf_counter() - start < 1.5  # the client gave up before the server answered


def test_simulate_refuses_what_has_a_real_cause(fresh):
    for bad in ({"status": 404}, {"status": 429, "times": 0}, {"delay": -1}):
        with pytest.raises(ValueError):
            fresh.simulate(**bad)


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "body", "status", "words"), [
    ("/v1/chat/completions", b"{not json", 400, "not valid JSON"),
    ("/v1/chat/completions", b"[1, 2]", 400, "JSON object"),
    ("/v1/chat/completions", {"model": CHAT}, 422, "messages"),
    ("/v1/chat/completions", {"messages": MESSAGES}, 422, "'model' is required"),
    ("/v1/chat/completions", {"model": CHAT, "messages": [{"role": "robot", "content": "x"}]}, 422, "role"),
    ("/v1/chat/completions", {"model": CHAT, "messages": MESSAGES, "max_tokens": -5}, 422, "max_tokens"),
    ("/v1/chat/completions", {"model": CHAT, "messages": MESSAGES, "temperature": "hot"}, 422, "temperature"),
    ("/v1/chat/completions", {"model": CHAT, "messages": MESSAGES, "max_completion_tokens": "5"}, 422,
     "'max_completion_tokens'"),
    ("/v1/chat/completions", {"model": CHAT, "messages": MESSAGES, "stream": True, "stream_options": [1]}, 422,
     "stream_options"),
    ("/v1/chat/completions", {"model": CHAT, "messages": MESSAGES, "tools": [{"type": "function"}]}, 422, "tools"),
    (f"/hf-inference/models/{MINILM}/pipeline/feature-extraction", {"inputs": 42}, 422, "inputs"),
    (f"/hf-inference/models/{MINILM}/pipeline/sentence-similarity", {"inputs": {"source_sentence": "x"}}, 422,
     "sentences"),
    (f"/hf-inference/models/{SST2}", {"inputs": "x", "parameters": "top_k=1"}, 422, "parameters"),
    (f"/hf-inference/models/{MINILM}/pipeline/fill-mask", {"inputs": "x"}, 404, "No route"),
])
def test_bad_requests_get_a_clear_message(fresh, path, body, status, words):
    reply = _post(fresh, path, raw=body if isinstance(body, bytes) else None,
                  body=None if isinstance(body, bytes) else body)
    assert reply.status_code == status and words in reply.json()["error"]


def test_tokens_are_never_logged_or_kept(fresh, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    _post(fresh, "/v1/chat/completions", {"model": CHAT, "messages": MESSAGES, "max_tokens": 2})
    _post(fresh, "/v1/chat/completions", {"model": CHAT, "messages": MESSAGES}, token="hf_secretwrongtoken")
    out, err = capfd.readouterr()
    assert TOKEN not in caplog.text + out + err and "hf_secretwrongtoken" not in caplog.text + out + err
    assert TOKEN not in json.dumps(fresh.requests) and TOKEN.encode() not in repr(vars(fresh.state)).encode()


# -- start, stop, port ----------------------------------------------------------------------------
def test_busy_port_is_a_clear_error(hub):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    try:
        with pytest.raises(InferenceServerError, match="already in use"):
            InferenceServer(port=holder.getsockname()[1]).start()
    finally:
        holder.close()


def test_starts_and_stops_cleanly(hub):
    srv = InferenceServer(port=0).start()  # tokens=None: no token needed
    url = srv.url
    assert inference_health(url) and srv.running
    assert _post(srv, "/v1/chat/completions", {"model": CHAT, "messages": MESSAGES, "max_tokens": 2},
                 token=None).status_code == 200
    srv.stop()
    assert not srv.running and not inference_health(url, timeout=0.5)
    with pytest.raises(InferenceServerError, match="127.0.0.1"):
        InferenceServer(host="0.0.0.0")


def test_start_inference_server_exports_url_and_a_course_token(hub, monkeypatch, capsys):
    from course_offline.inference import start_inference_server

    for name in ("HF_TOKEN", "COURSE_INFERENCE_URL", "OLLAMA_HOST"):  # set, then delete: monkeypatch restores them
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    monkeypatch.setenv("COURSE_INFERENCE_PORT", "0")
    srv = start_inference_server()
    try:
        import os

        token = os.environ["HF_TOKEN"]
        assert os.environ["COURSE_INFERENCE_URL"] == srv.url and token.startswith("hf_")
        assert token not in capsys.readouterr().out
        ok = _post(srv, "/v1/chat/completions", {"model": CHAT, "messages": MESSAGES, "max_tokens": 2}, token=token)
        assert ok.status_code == 200
        monkeypatch.setenv("COURSE_INFERENCE_PORT", "eighty")
        with pytest.raises(InferenceServerError, match="port number"):
            start_inference_server()
    finally:
        srv.stop()


def test_extra_routes_share_the_token_check_and_faults(hub):
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from course_offline.inference.server import guard

    async def tags(request):
        return JSONResponse({"models": []})

    def routes(state):
        return [Route("/api/tags", guard(state, tags), methods=["POST"])]

    with InferenceServer(tokens={TOKEN}, extra_routes=routes) as srv:
        assert _post(srv, "/api/tags", {}, token=None).status_code == 401
        assert _post(srv, "/api/tags", {}).json() == {"models": []}
        srv.simulate(503, retry_after=1)
        assert _post(srv, "/api/tags", {}).status_code == 503
        chat = InferenceClient(model=f"{srv.url}/hf-inference/models/{CHAT}", api_key=TOKEN)
        assert chat.chat_completion(MESSAGES, max_tokens=2).model == CHAT  # the model comes from the URL


def test_start_inference_server_without_a_made_up_token(hub, monkeypatch, capsys):
    from course_offline.inference import start_inference_server

    for name in ("HF_TOKEN", "COURSE_INFERENCE_URL", "OLLAMA_HOST"):
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    monkeypatch.setenv("COURSE_INFERENCE_PORT", "0")
    srv = start_inference_server(make_token=False)
    try:
        assert "HF_TOKEN" not in os.environ
        assert "asks for no token" in capsys.readouterr().out
        assert httpx.post(srv.url + "/v1/chat/completions", json={"model": CHAT, "messages": MESSAGES,
                                                                  "max_tokens": 2}, timeout=60).status_code == 200
    finally:
        srv.stop()
