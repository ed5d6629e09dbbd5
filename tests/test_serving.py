"""course_utils.serving: local servers started from a notebook (lesson 06).

The real `transformers serve` runs once for the module with the course hub's tiny random-weight
Qwen2.5-0.5B-Instruct stand-in (it loads in a moment), so only the mechanics are asserted, never the text. The
other tests use tiny Python commands that start in a moment.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from course_offline.servers import bind_socket
from course_utils.paths import build_dir
from course_utils.serving import LocalServer, LocalServerError, llama_cpp_server, transformers_serve

MODEL = "Qwen/Qwen2.5-0.5B-Instruct"  # a tiny stand-in: the mechanics, fast
MESSAGES = [{"role": "user", "content": "Say hello."}]
SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
# A healthy server in a fraction of a second: GET / answers 200 with a directory listing.
HTTP_SERVER = [sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1"]


def gone(process: subprocess.Popen) -> bool:
    """Has the process exited and been reaped?"""
    if process.poll() is None:
        return False
    try:
        os.kill(process.pid, 0)
    except ProcessLookupError:
        return True
    return False


def port_is_free(port: int) -> bool:
    try:
        bind_socket("127.0.0.1", port).close()
    except Exception:
        return False
    return True


@pytest.fixture
def log(tmp_path):
    return tmp_path / "server.log"


# ---- transformers serve, for real ----


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One `transformers serve` for the module; yields (server, seconds it took to become healthy)."""
    server = transformers_serve(MODEL, threads=1, startup_timeout=240,
                                log_path=tmp_path_factory.mktemp("serve") / "transformers-serve.log")
    started = time.monotonic()
    with server:
        yield server, time.monotonic() - started
    assert gone(server.process), "leaving the with block stops the server"
    assert port_is_free(server.port), "and frees its port"


def test_transformers_serve_is_healthy(served):
    server, seconds = served
    print(f"transformers serve healthy after {seconds:.1f} s")
    assert server.running and server.url.startswith("http://127.0.0.1:")
    assert server.base_url == server.url + "/v1"
    assert server.start() is server and server.process.pid == server.process.pid  # idempotent


def test_openai_client_chat_and_stream(served):
    from openai import OpenAI

    server, _ = served
    client = OpenAI(base_url=server.base_url, api_key="unused")
    assert MODEL in [model.id for model in client.models.list()]

    answer = client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=8)
    assert isinstance(answer.choices[0].message.content, str)
    assert 0 < answer.usage.completion_tokens <= 8

    chunks = list(client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=8, stream=True))
    contents = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert contents and isinstance("".join(contents), str)


def test_inference_client_chat_and_stream(served):
    from huggingface_hub import InferenceClient

    server, _ = served
    client = InferenceClient(base_url=server.base_url)
    answer = client.chat_completion(MESSAGES, model=MODEL, max_tokens=8)
    assert isinstance(answer.choices[0].message.content, str)

    chunks = list(client.chat_completion(MESSAGES, model=MODEL, max_tokens=8, stream=True))
    contents = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert contents and isinstance("".join(contents), str)


def test_transformers_serve_command_and_environment(tmp_path):
    server = transformers_serve(MODEL, threads=1, env={"EXTRA": "1", "HF_HOME": str(tmp_path / "home")})
    assert server.command[0].endswith("transformers") and server.command[1] == "serve"
    assert server.command[-1] == MODEL and "--host" in server.command and "--port" in server.command
    assert str(server.port) in server._argv()
    assert server.env["OMP_NUM_THREADS"] == "1" and server.env["EXTRA"] == "1"
    assert (tmp_path / "home" / "hub").is_dir(), "transformers serve scans the HF cache for GET /v1/models"
    assert server.log_path == build_dir() / "servers" / f"transformers-serve-{server.port}.log"
    assert not server.running
    assert MODEL not in transformers_serve(threads=1).command


def test_llama_cpp_server_command(tmp_path):
    gguf = tmp_path / "model.gguf"
    with pytest.raises(LocalServerError, match="No GGUF file"):
        llama_cpp_server(gguf, threads=1)
    gguf.write_bytes(b"GGUF")
    server = llama_cpp_server(gguf, threads=2, n_ctx=256)
    argv = server._argv()
    assert argv[:3] == [sys.executable, "-m", "llama_cpp.server"]
    assert argv[argv.index("--port") + 1] == str(server.port)
    assert argv[argv.index("--n_threads") + 1] == argv[argv.index("--n_threads_batch") + 1] == "2"
    assert argv[argv.index("--n_ctx") + 1] == "256"
    assert server.health_path == "/v1/models" and server.env["OMP_NUM_THREADS"] == "2"


# ---- llama.cpp, with a tiny random GGUF written here ----


def write_tiny_gguf(path, n_embd=32, n_ff=64, n_head=2):
    """A one-layer llama with random weights and a byte-level vocabulary (about 110 KB, written in a moment)."""
    import numpy as np
    from gguf import GGUFWriter

    visible = [*range(ord("!"), ord("~") + 1), *range(ord("\u00a1"), ord("\u00ac") + 1),
               *range(ord("\u00ae"), ord("\u00ff") + 1)]
    hidden = [b for b in range(256) if b not in visible]  # GPT-2's byte-to-unicode table
    chars = dict(zip(visible + hidden, visible + [256 + i for i in range(len(hidden))], strict=True))
    tokens = [chr(chars[b]) for b in range(256)] + ["<|im_start|>", "<|im_end|>", "\u0120t"]
    rng = np.random.default_rng(0)
    writer = GGUFWriter(str(path), "llama")
    writer.add_context_length(256)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(1)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head)
    writer.add_rope_dimension_count(n_embd // n_head)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(0)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types([1] * 256 + [3, 3, 1])
    writer.add_token_merges(["\u0120 t"])  # llama.cpp refuses a BPE vocabulary without merges
    writer.add_bos_token_id(256)
    writer.add_eos_token_id(257)
    writer.add_chat_template("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
                             "{% endfor %}<|im_start|>assistant\n")
    shapes = {"token_embd": (len(tokens), n_embd), "output": (len(tokens), n_embd),
              **{f"blk.0.attn_{n}": (n_embd, n_embd) for n in ("q", "k", "v", "output")},
              "blk.0.ffn_gate": (n_ff, n_embd), "blk.0.ffn_up": (n_ff, n_embd), "blk.0.ffn_down": (n_embd, n_ff)}
    for name, shape in shapes.items():
        writer.add_tensor(f"{name}.weight", (rng.standard_normal(shape) * 0.02).astype(np.float32))
    for name in ("output_norm", "blk.0.attn_norm", "blk.0.ffn_norm"):
        writer.add_tensor(f"{name}.weight", np.ones(n_embd, np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_llama_cpp_server_for_real(tmp_path):
    pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] is not installed")
    pytest.importorskip("gguf", reason="the gguf package writes the test model")
    from huggingface_hub import InferenceClient
    from openai import OpenAI

    gguf = write_tiny_gguf(tmp_path / "tiny.gguf")
    with llama_cpp_server(gguf, threads=1, n_ctx=256, log_path=tmp_path / "llama.log", startup_timeout=60) as server:
        process = server.process
        client = OpenAI(base_url=server.base_url, api_key="unused")
        assert [model.id for model in client.models.list()] == [str(gguf)]  # the path is the model's id
        answer = client.chat.completions.create(model="any", messages=MESSAGES, max_tokens=8)
        assert isinstance(answer.choices[0].message.content, str) and answer.usage.completion_tokens > 0
        chunks = list(client.chat.completions.create(model="any", messages=MESSAGES, max_tokens=8, stream=True))
        assert any(c.choices and c.choices[0].delta.content is not None for c in chunks)
        assert chunks[-1].choices[0].finish_reason in ("length", "stop")
        hf = InferenceClient(base_url=server.base_url)
        assert isinstance(hf.chat_completion(MESSAGES, max_tokens=4).choices[0].message.content, str)
        assert list(hf.chat_completion(MESSAGES, max_tokens=4, stream=True))
    assert gone(process) and port_is_free(server.port)


# ---- the mechanics, with tiny commands ----


def test_start_stop_and_idempotence(log):
    server = LocalServer(HTTP_SERVER, port=0, name="http", health_path="/", log_path=log, startup_timeout=30)
    assert server.port > 0 and not server.running
    server.stop()  # nothing to stop yet
    with server:
        assert server.running
        process = server.process
        assert server.start() is server and server.process is process
    assert gone(process) and not server.running and port_is_free(server.port)
    server.stop()  # again: nothing to do


def test_an_exception_in_the_with_body_still_stops_it(log):
    server = LocalServer(HTTP_SERVER, port=0, name="http", health_path="/", log_path=log, startup_timeout=30)
    with pytest.raises(RuntimeError, match="the lesson's code failed"):
        with server:
            process = server.process
            raise RuntimeError("the lesson's code failed")
    assert gone(process)


def test_busy_port_is_refused_before_launch(log):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        server = LocalServer(SLEEPER, port=port, name="sleeper", log_path=log)
        with pytest.raises(LocalServerError, match=f"port {port} .*already in use.*port=0"):
            server.start()
        assert server.process is None and not log.exists(), "nothing was launched"
    finally:
        holder.close()


def test_never_healthy_is_stopped(log):
    server = LocalServer(SLEEPER, port=0, name="sleeper", log_path=log, startup_timeout=1)
    with pytest.raises(LocalServerError, match="never became healthy") as info:
        server.start()
    assert f"{server.url}/health within 1 s" in str(info.value)
    assert gone(server.process) and not server.running


def test_a_failed_start_shows_the_exit_code_and_the_log(log):
    failing = [sys.executable, "-c", "import sys; print('Error: no such model: nope'); sys.exit(3)"]
    server = LocalServer(failing, port=0, name="failer", log_path=log)
    with pytest.raises(LocalServerError, match="exited with code 3") as info:
        server.start()
    assert "Error: no such model: nope" in str(info.value)
    assert "Error: no such model: nope" in server.log_tail()


def test_port_taken_after_launch_is_explained(log):
    script = "import sys; print('ERROR: [Errno 98] address already in use', file=sys.stderr); sys.exit(1)"
    server = LocalServer([sys.executable, "-c", script], port=0, name="late", log_path=log)
    with pytest.raises(LocalServerError, match=f"port {server.port} was taken .*port=0"):
        server.start()


def test_tokens_never_reach_messages(log):
    secret = "hf_" + "x" * 34
    leaky = [sys.executable, "-c", "import os; print('token is', os.environ['HF_TOKEN']); raise SystemExit(2)"]
    server = LocalServer(leaky, port=0, name="leaky", log_path=log, env={"HF_TOKEN": secret})
    with pytest.raises(LocalServerError) as info:
        server.start()
    assert secret in log.read_text()  # the server's own log, on the learner's disk
    assert secret not in str(info.value) and "HF_TOKEN hidden" in str(info.value)
    assert secret not in server.log_tail()


def test_a_missing_program_is_explained(log):
    server = LocalServer(["/nonexistent/program"], port=0, name="ghost", log_path=log)
    with pytest.raises(LocalServerError, match="could not run"):
        server.start()


def test_the_server_stops_when_the_interpreter_exits(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        from course_utils.serving import LocalServer
        server = LocalServer({HTTP_SERVER!r}, port=0, name="http", health_path="/",
                             log_path={str(tmp_path / "server.log")!r}).start()
        print(server.process.pid, flush=True)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout.split()[0])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def _start_in_a_kernel_and_kill_it(tmp_path) -> int:
    """A stand-in kernel starts a server, then dies by SIGKILL (no exit handler runs); returns the server's pid."""
    code = textwrap.dedent(f"""
        import os, signal
        from course_utils.serving import LocalServer
        server = LocalServer({HTTP_SERVER!r}, port=0, name="http", health_path="/",
                             log_path={str(tmp_path / "http.log")!r}).start()
        print(server.process.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == -9, done.stderr
    return int(done.stdout.split()[0])


def test_a_killed_kernels_server_is_found_and_stopped(tmp_path, capsys):
    from course_utils.serving import stop_orphaned_servers

    pid = _start_in_a_kernel_and_kill_it(tmp_path)
    os.kill(pid, 0)  # the server outlived its kernel: atexit never ran
    port = json.loads((tmp_path / "http.json").read_text())["port"]
    assert stop_orphaned_servers(tmp_path) == [f"http on port {port} (pid {pid})"]
    assert "left running by a kernel that died: http on port" in capsys.readouterr().out
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the orphaned server is still running")
    assert not (tmp_path / "http.json").exists(), "its record is removed"
    assert stop_orphaned_servers(tmp_path) == [], "a second sweep finds nothing"


def test_a_live_kernels_server_is_left_alone(log):
    from course_utils.serving import stop_orphaned_servers

    with LocalServer(HTTP_SERVER, port=0, name="http", health_path="/", log_path=log) as server:
        assert server.record_path.exists()
        assert stop_orphaned_servers(log.parent, verbose=False) == []
        assert server.running
    assert not server.record_path.exists(), "stop() removes the record"


def test_a_record_whose_server_ended_is_removed_and_nothing_is_signalled(tmp_path):
    from course_utils.serving import stop_orphaned_servers

    record = tmp_path / "gone-1234.json"  # a dead kernel (pid 2**22 + 1 is past Linux's pid_max) and a dead server
    record.write_text(json.dumps({"name": "gone", "port": 1234, "pid": 2**22 + 1, "started": 1.0,
                                  "kernel_pid": 2**22 + 2, "kernel_started": 1.0}))
    (tmp_path / "notes.json").write_text("{}")  # not a record: left as it is
    assert stop_orphaned_servers(tmp_path, verbose=False) == []
    assert not record.exists() and (tmp_path / "notes.json").exists()


def test_logs_rotate_but_a_running_servers_log_stays(tmp_path):
    from course_utils.serving import _KEEP_LOGS

    for i in range(_KEEP_LOGS + 5):
        old = tmp_path / f"old-{i}.log"
        old.write_text("x")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    (tmp_path / "old-0.json").write_text("{}")  # the oldest log's server still runs
    with LocalServer(HTTP_SERVER, port=0, name="http", health_path="/", log_path=tmp_path / "new.log"):
        logs = sorted(p.name for p in tmp_path.glob("*.log"))
    assert len(logs) == _KEEP_LOGS + 1 and "new.log" in logs and "old-0.log" in logs
    assert "old-1.log" not in logs and f"old-{_KEEP_LOGS + 4}.log" in logs
