"""course_utils/session.py: setup() (online or course hub, HF_ENDPOINT before huggingface_hub loads, clear refusals)
and a course hub that stops mid-lesson. setup() runs in fresh interpreters, as in a new kernel."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap

import pytest

FAKE_TOKEN = "hf_" + "FakeTokenForTestsOnly" * 2


def run_python(code: str, env: dict | None = None, timeout: float = 120,
               stdin_after=None) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter. With `stdin_after`: once the code prints its first line, call it, then
    send the code a line on stdin (so a test can act, e.g. stop a server, while the interpreter waits)."""
    full_env = {**os.environ, **(env or {})}
    for key in [k for k, v in full_env.items() if v is None]:
        full_env.pop(key)
    if stdin_after is None:
        return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                              env=full_env, timeout=timeout)
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env)
    first = proc.stdout.readline()
    stdin_after()
    out, err = proc.communicate("go\n", timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, first + out, err)


def setup_refusal(env: dict) -> str:
    """The CourseSetupError message setup() gives in a fresh interpreter with `env` (fails if it succeeds)."""
    result = run_python("""
        from course_utils import setup, CourseSetupError
        try:
            setup()
        except CourseSetupError as e:
            print("REFUSED", e)
    """, env=env)
    assert "REFUSED " in result.stdout, result.stdout + result.stderr
    return result.stdout.split("REFUSED ", 1)[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_setup_uses_the_preset_course_hub_and_never_prints_the_token(hub):
    result = run_python("""
        from course_utils import setup
        course = setup()
        again = setup()  # re-running the cell is fine
        assert course == again
        import os
        from huggingface_hub import constants
        assert constants.ENDPOINT == os.environ["HF_ENDPOINT"]
        print("MODE", course.mode, course.threads, course.device)
    """, env={"HF_TOKEN": FAKE_TOKEN})
    assert result.returncode == 0, result.stderr
    assert "MODE course hub 1 " in result.stdout  # one thread by default with the stand-ins
    assert hub.url in result.stdout
    assert "HF_TOKEN  set" in result.stdout
    assert FAKE_TOKEN not in result.stdout + result.stderr and "FakeToken" not in result.stdout + result.stderr


def test_setup_refuses_when_huggingface_hub_was_imported_with_another_endpoint(hub):
    result = run_python("""
        import os
        os.environ["HF_ENDPOINT"] = "https://huggingface.co"
        import transformers  # loads huggingface_hub.constants with that endpoint
        os.environ["HF_ENDPOINT"] = os.environ["TEST_HUB"]
        from course_utils import setup, CourseSetupError
        try:
            setup()
        except CourseSetupError as e:
            print("REFUSED", e)
    """, env={"TEST_HUB": hub.url})
    assert "REFUSED" in result.stdout and "Restart the kernel" in result.stdout, result.stderr


def test_setup_rejects_an_unknown_mode():
    assert "auto, local, remote" in setup_refusal({"COURSE_HUB": "sometimes"})


def test_a_bad_port_setting_is_a_clear_error():
    refusal = setup_refusal({"COURSE_HUB": "local", "COURSE_HUB_PORT": "abc", "HF_ENDPOINT": None})
    assert refusal.startswith("COURSE_HUB_PORT='abc' must be a port number")
    cli = subprocess.run([sys.executable, "-m", "course_offline.hub", "serve"], capture_output=True, text=True,
                         env={**os.environ, "COURSE_HUB_PORT": "abc"})
    assert cli.returncode == 2 and "must be a port number" in cli.stderr


def test_setup_remote_offline_is_a_clear_error():
    result = run_python("""
        from course_utils import setup, CourseSetupError
        from course_utils.session import online
        if online():
            print("ONLINE")
        else:
            try:
                setup()
            except CourseSetupError as e:
                print("REFUSED", e)
    """, env={"COURSE_HUB": "remote", "HF_ENDPOINT": None})
    if "ONLINE" in result.stdout:
        pytest.skip("this machine reaches huggingface.co; the offline error cannot be shown here")
    assert "REFUSED" in result.stdout and "COURSE_HUB=local" in result.stdout, result.stderr


def test_setup_with_an_unreachable_hub_url_is_a_clear_error():
    refusal = setup_refusal({"COURSE_HUB": "local", "COURSE_HUB_URL": "http://hub.invalid:8765", "HF_ENDPOINT": None})
    assert "No course hub answers" in refusal


def test_setup_local_starts_a_background_hub(hub, tmp_path):
    """COURSE_HUB=local with nothing running: setup() builds (up to date here) and starts the hub."""
    port = _free_port()
    env = {"COURSE_HUB": "local", "COURSE_HUB_PORT": str(port), "HF_ENDPOINT": None, "HF_HOME": None,
           "COURSE_HUB_ROOT": str(hub.root), "COURSE_BUILD_DIR": str(tmp_path)}
    result = run_python("""
        from course_utils import setup
        course = setup()
        from huggingface_hub import HfApi
        print("MODE", course.mode, course.endpoint, course.hf_home)
        print("INFO", HfApi().model_info("openai-community/gpt2").id)
    """, env=env)
    pid_file = tmp_path / "course-hub.pid"
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"MODE course hub http://127.0.0.1:{port} {tmp_path / 'hf-home'}" in result.stdout
        assert "INFO openai-community/gpt2" in result.stdout
        # A second lesson reuses the running hub instead of starting another.
        second = run_python("from course_utils import setup; setup()", env=env)
        assert second.returncode == 0 and "Starting the course hub" not in second.stdout
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


def test_a_course_hub_that_stops_mid_lesson_is_named_within_seconds(tmp_path):
    """The hub dies between two calls (killed, `make hub-stop`): the next download says so at once, no retries."""
    import shutil

    from course_offline.hub import CourseHub
    from course_utils.paths import hub_root

    root = tmp_path / "hub"
    shutil.copytree(hub_root() / "models" / "openai-community--gpt2", root / "models" / "openai-community--gpt2",
                    copy_function=os.link)
    with CourseHub(root, port=0) as hub:
        result = run_python("""
            import os, sys, time
            from course_utils import setup
            from course_utils.session import CourseHubGoneError
            course = setup(verbose=False)
            from huggingface_hub import HfApi, hf_hub_download
            print("BEFORE", HfApi().model_info("openai-community/gpt2").id, flush=True)
            sys.stdin.readline()  # the test stops the hub here
            start = time.monotonic()
            try:
                hf_hub_download("openai-community/gpt2", "config.json")
            except CourseHubGoneError as exc:
                print("GONE", round(time.monotonic() - start, 1), exc)
        """, env={"HF_ENDPOINT": hub.url, "HF_HOME": str(tmp_path / "hf-home")},
                            stdin_after=lambda: hub.stop())
    assert "BEFORE openai-community/gpt2" in result.stdout, result.stderr
    assert "GONE" in result.stdout, result.stdout + result.stderr
    seconds = float(result.stdout.split("GONE ", 1)[1].split()[0])
    assert seconds < 5, "no retries with growing waits"
    assert "re-run the setup cell" in result.stdout and "make hub" in result.stdout
    assert "Retrying" not in result.stderr


def test_setup_stops_the_servers_of_a_kernel_that_was_killed(hub, tmp_path):
    env = {"COURSE_BUILD_DIR": str(tmp_path)}
    killed = run_python("""
        import os, signal
        import sys
        from course_utils.serving import LocalServer
        server = LocalServer([sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1"], port=0,
                             name="http", health_path="/").start()
        print(server.process.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """, env=env)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    pid = int(killed.stdout.split()[0])
    os.kill(pid, 0)  # still running after its kernel died
    result = run_python("from course_utils import setup; setup()", env=env)
    assert result.returncode == 0, result.stderr
    assert "stopped   1 server(s) left running by a kernel that died: http on port" in result.stdout
    assert f"(pid {pid})" in result.stdout
    assert not list((tmp_path / "servers").glob("*.json"))
