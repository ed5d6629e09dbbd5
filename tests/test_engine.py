"""Lesson 06's engine, compiled in the background and installed by `make engine` (course_offline/engine.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from course_offline import engine
from course_offline.engine import EngineBuild
from course_utils.environment import installed_version, pinned_requirements


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty course cache, so nothing here touches the machine's compiled wheel."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "open-models-course" / "wheels"


def test_the_build_flags_name_the_wheel_folder(monkeypatch):
    monkeypatch.delenv("LLAMA_CMAKE_ARGS", raising=False)
    default = EngineBuild.wanted()
    monkeypatch.setenv("LLAMA_CMAKE_ARGS", "-DGGML_NATIVE=OFF")
    portable = EngineBuild.wanted()
    assert default.version == portable.version == engine.pinned_version() == pinned_requirements()["llama-cpp-python"]
    assert default.key != portable.key and portable.key.startswith(f"llama-cpp-python-{portable.version}-")
    if engine.platform.machine() == "x86_64":
        assert "-mno-amx-tile" in default.cmake_args  # see shared notes: the VM traps AMX (SIGILL)


def test_a_cached_wheel_is_not_compiled_again(cache):
    spec = EngineBuild("0.0.0", "-DTEST=1")
    spec.wheel_dir.mkdir(parents=True)
    (spec.wheel_dir / "llama_cpp_python-0.0.0-py3-none-linux_x86_64.whl").write_bytes(b"")
    assert "cached" in engine.start(spec)
    assert not spec.pid_file.exists() and not spec.log.exists()
    assert "not installed here" in engine.status(spec)


def test_a_stale_pid_file_is_not_a_running_compile(cache):
    spec = EngineBuild("0.0.0", "-DTEST=1")
    cache.mkdir(parents=True)
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    spec.pid_file.write_text(finished.stdout)
    assert spec.running_pid() is None
    spec.pid_file.write_text(f"{os.getpid()}\n")
    assert spec.running_pid() == os.getpid()


def test_progress_reads_ninjas_steps(cache):
    spec = EngineBuild("0.0.0", "")
    assert spec.progress() == ""
    cache.mkdir(parents=True)
    spec.log.write_bytes(b"  [12/78] /usr/bin/cc ...\n  [41/78] /usr/bin/c++ ...\n")
    assert spec.progress() == "41/78 steps"


def test_a_failed_compile_says_what_to_do_and_installs_nothing(cache, monkeypatch, capsys):
    spec = EngineBuild("0.0.0", "-DTEST=1")

    def compile_without_a_compiler(spec):  # what pip's log ends with when CMake finds no C compiler
        spec.log.parent.mkdir(parents=True, exist_ok=True)
        spec.log.write_text("CMake Error: CMAKE_C_COMPILER not set, after EnableLanguage\n*** CMake failed\n")
        return 1

    monkeypatch.setattr(engine, "compile_now", compile_without_a_compiler)
    installed = installed_version("llama-cpp-python")
    assert engine.install(spec) == 1
    err = capsys.readouterr().err
    assert "CMAKE_C_COMPILER not set" in err and str(spec.log) in err  # the log's tail and where the rest is
    assert "lessons 00-05 work without it" in err and "build-essential" in err and "make repair" in err
    assert installed_version("llama-cpp-python") == installed and not engine.is_installed(spec)


def test_the_background_compile_is_one_process_that_cleans_up_after_a_failure(cache, monkeypatch):
    """`start` runs the real build in a detached process; here pip fails at once (no such version on the index)."""
    spec = EngineBuild("0.0.0", "-DTEST=1")
    monkeypatch.setenv("LLAMA_CMAKE_ARGS", spec.cmake_args)  # the build process reads it, as under make
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # refused at once: nothing is downloaded
    monkeypatch.setenv("PIP_RETRIES", "0")
    message = engine.start(spec)
    assert "compiling in the background" in message
    pid = spec.running_pid()
    assert pid is not None and "already compiling" in engine.start(spec)  # a second start does not start another
    engine.wait(spec)
    assert spec.running_pid() is None and not spec.pid_file.exists()
    assert spec.wheel() is None and not list(cache.glob("*.partial-*"))
    assert "llama-cpp-python==0.0.0" in spec.log.read_text()
