"""Lesson 06's engine, llama.cpp: compiled once per machine, in the background while the rest of the install runs.

llama-cpp-python ships only as source on PyPI, so a new machine compiles llama.cpp (several minutes on 2 cores).
`make setup` starts that compile in a background process and goes on fetching the real models; `make engine` (a
prerequisite of `make course`, `make test` and `make lab`) waits for it and installs the wheel. The wheel is kept in
~/.cache/open-models-course/wheels/, keyed by version and build flags, so later venvs and clones reuse it.

    python course_offline/engine.py start     # begin the compile, unless its wheel is cached or a compile runs
    python -m course_offline.engine install   # wait for it (or compile now), install the wheel, the 'local' extra
                                              # and llama.cpp's GGUF converter; nothing to do when installed
    python -m course_offline.engine status

LLAMA_CMAKE_ARGS (CMake options, as pip's CMAKE_ARGS takes them) overrides the default flags.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

# Only the standard library above: `make setup` runs this file as a script right after creating the venv, so the
# compile overlaps the install of the course's packages too.
REPO = Path(__file__).resolve().parents[1]

PACKAGE = "llama-cpp-python"
# On x86-64, no AMX: some virtual machines advertise AMX but trap its instructions (llama.cpp then dies with
# SIGILL on its first quantized matmul). `make repair LLAMA_CMAKE_ARGS=-DGGML_NATIVE=OFF` builds a portable wheel.
_NO_AMX = "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
# Only what the course loads: libllama and the ggml libraries. Not the multimodal `mtmd` library (llama-cpp-python
# loads it only for image chat), nor llama.cpp's `common` library, which llama-cpp-python's CMakeLists forces on
# although its Python code never loads it: a normal variable set right after llama.cpp's project() call takes
# precedence over that cache entry (policy CMP0077). 83 build steps instead of 193.
CONFIG_SETTINGS = ("cmake.define.LLAVA_BUILD=OFF",)
WITHOUT_COMMON = "set(LLAMA_BUILD_COMMON OFF)\n"
FAILED_HINT = ("lessons 00-05 work without it; for lesson 06 on, install a C/C++ compiler (apt install "
               "build-essential), then run `make repair`")
_POLL_SECONDS = 2.0


def default_cmake_args() -> str:
    if platform.machine() in ("x86_64", "AMD64"):
        return f'"-DCMAKE_C_FLAGS={_NO_AMX}" "-DCMAKE_CXX_FLAGS={_NO_AMX}"'
    return ""


def pinned_version() -> str | None:
    """llama-cpp-python's pin in pyproject.toml's `local` extra, read from the file: the course may not be installed."""
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for requirement in extras.get("local", []):
        found = re.match(rf"{PACKAGE}(?:\[[^\]]*\])?==([^\s;]+)", requirement)
        if found:
            return found.group(1)
    return None


def wheel_cache() -> Path:
    """Kept across clones and `make clean`, next to the converted real models (see hub/realmodels.py)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "open-models-course" / "wheels"


@dataclass(frozen=True)
class EngineBuild:
    """One build of the engine: the pinned version and the flags, which name its folder in the wheel cache."""

    version: str
    cmake_args: str

    @classmethod
    def wanted(cls) -> EngineBuild:
        version = pinned_version()
        if version is None:
            raise SystemExit(f"pyproject.toml pins no {PACKAGE}: nothing to build.")
        return cls(version, os.environ.get("LLAMA_CMAKE_ARGS") or default_cmake_args())

    @property
    def key(self) -> str:
        flags = "|".join((self.cmake_args, *CONFIG_SETTINGS, WITHOUT_COMMON))
        return f"{PACKAGE}-{self.version}-{hashlib.md5(flags.encode()).hexdigest()[:8]}"

    @property
    def wheel_dir(self) -> Path:
        return wheel_cache() / self.key

    @property
    def log(self) -> Path:
        return wheel_cache() / f"{self.key}.log"

    @property
    def pid_file(self) -> Path:
        return wheel_cache() / f"{self.key}.pid"

    def wheel(self) -> Path | None:
        wheels = sorted(self.wheel_dir.glob("llama_cpp_python-*.whl"))
        return wheels[0] if wheels else None

    def running_pid(self) -> int | None:
        """The pid of a background compile of this build that is still running, else None."""
        try:
            pid = int(self.pid_file.read_text().split()[0])
            os.kill(pid, 0)
        except (OSError, ValueError, IndexError):
            return None
        return pid

    def progress(self) -> str:
        """'41/78 steps' from ninja's lines in the log, or '' before the compile starts."""
        try:
            steps = re.findall(rb"\[(\d+)/(\d+)\]", self.log.read_bytes()[-200_000:])
        except OSError:
            return ""
        return f"{int(steps[-1][0])}/{int(steps[-1][1])} steps" if steps else ""


def build(spec: EngineBuild) -> int:
    """Compile the wheel into the cache (a staging folder renamed when complete); pip's exit status."""
    spec.wheel_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = spec.wheel_dir.with_name(f"{spec.key}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    without_common = spec.wheel_dir.with_name(f"{spec.key}.cmake")
    without_common.write_text(WITHOUT_COMMON)
    # CMAKE_ARGS is split like a shell line (shlex): quoted, so a home folder with a space works
    cmake_args = f"{spec.cmake_args} {shlex.quote(f'-DCMAKE_PROJECT_llama.cpp_INCLUDE={without_common}')}".strip()
    # --no-cache-dir: pip's wheel cache is keyed by the archive, not by CMAKE_ARGS, so it could hand back a wheel
    # built with other flags. -v: the log shows ninja's [n/m] steps, which `progress` reads.
    command = [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-cache-dir", "--wheel-dir", str(staging),
               *(f"--config-settings={s}" for s in CONFIG_SETTINGS), f"{PACKAGE}=={spec.version}"]
    print(f"$ CMAKE_ARGS={shlex.quote(cmake_args)} {shlex.join(command)}", flush=True)
    done = subprocess.run(command, env={**os.environ, "CMAKE_ARGS": cmake_args}, stdin=subprocess.DEVNULL)
    if done.returncode == 0 and any(staging.glob("*.whl")):
        shutil.rmtree(spec.wheel_dir, ignore_errors=True)
        staging.rename(spec.wheel_dir)
        return 0
    shutil.rmtree(staging, ignore_errors=True)
    return done.returncode or 1


def start(spec: EngineBuild) -> str:
    """Start the compile in a background process that outlives this one; what happened, in words."""
    if spec.wheel():
        return f"llama.cpp engine: the wheel is cached ({spec.wheel()})."
    if pid := spec.running_pid():
        return f"llama.cpp engine: already compiling (pid {pid}, log {spec.log})."
    spec.log.parent.mkdir(parents=True, exist_ok=True)
    with spec.log.open("wb") as log:
        process = subprocess.Popen([sys.executable, __file__, "_build", spec.version],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, env={**os.environ, "LLAMA_CMAKE_ARGS": spec.cmake_args})
    spec.pid_file.write_text(f"{process.pid}\n")
    return (f"llama.cpp engine: compiling in the background (pid {process.pid}; log {spec.log}); `make engine` "
            "waits for it and installs it.")


def wait(spec: EngineBuild) -> None:
    """Block while a background compile runs, printing its progress once a minute."""
    started, last = time.monotonic(), 0.0
    while spec.running_pid():
        if time.monotonic() - last >= 60:
            last = time.monotonic()
            print(f"llama.cpp engine: compiling ({spec.progress() or 'configuring'}; waited "
                  f"{last - started:.0f} s so far) ...", flush=True)
        time.sleep(_POLL_SECONDS)


def compile_now(spec: EngineBuild) -> int:
    """Run the compile in the foreground, logged like a background one; pip's exit status."""
    spec.log.parent.mkdir(parents=True, exist_ok=True)
    with spec.log.open("wb") as log:
        return subprocess.run([sys.executable, __file__, "_build", spec.version], stdout=log,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              env={**os.environ, "LLAMA_CMAKE_ARGS": spec.cmake_args}).returncode


def _installed_stamp() -> Path:
    return Path(sys.prefix) / ".engine-installed"


def is_installed(spec: EngineBuild) -> bool:
    stamp = _installed_stamp()
    return stamp.is_file() and stamp.read_text().strip() == spec.key


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *args], check=True, cwd=REPO)


def install(spec: EngineBuild) -> int:
    """Wait for (or run) the compile, then install the engine into this environment; 0 when it is installed."""
    if is_installed(spec):
        print(f"llama.cpp engine: installed ({spec.key}).")
        return 0
    if spec.running_pid():
        print(f"llama.cpp engine: waiting for the background compile to finish (log {spec.log}) ...", flush=True)
        wait(spec)
    if not spec.wheel():
        print("llama.cpp engine: compiling now (the first time on this machine: a few minutes on 2 cores) ...",
              flush=True)
        status = compile_now(spec)
        if status or not spec.wheel():
            tail = "\n".join(spec.log.read_text(errors="replace").splitlines()[-25:])
            print(f"{tail}\n*** llama.cpp did not compile (log: {spec.log}): {FAILED_HINT}.", file=sys.stderr)
            return 1
    wheel = spec.wheel()
    # torch==2.13.0 stays in the same pip command: a loose torch requirement would pull several GB of CUDA wheels
    _pip("--no-deps", "--force-reinstall", str(wheel))
    _pip("--find-links", str(spec.wheel_dir), "torch==2.13.0", "-e", ".[dev,local]")
    from course_utils.gguf import install_converter  # llama.cpp's GGUF converter ships only in the source archive

    print(f"llama.cpp converter: {install_converter()}")
    _installed_stamp().write_text(f"{spec.key}\n")
    print(f"llama.cpp engine: installed {wheel.name} ({spec.key}).")
    from course_utils.environment import check_environment  # the install is complete: every pin, [OK] or [FAIL]

    return 0 if all(check.ok for check in check_environment(include_dev=True)) else 1


def status(spec: EngineBuild) -> str:
    if is_installed(spec):
        return f"installed in {sys.prefix} ({spec.key})"
    if pid := spec.running_pid():
        return f"compiling (pid {pid}, {spec.progress() or 'configuring'}; log {spec.log})"
    if spec.wheel():
        return f"compiled, not installed here: `make engine` installs {spec.wheel()}"
    return "not compiled: `make engine` compiles and installs it"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_offline.engine", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["start", "install", "status", "_build"])
    parser.add_argument("version", nargs="?", help=argparse.SUPPRESS)  # _build's, from the process that starts it
    args = parser.parse_args(argv)
    spec = EngineBuild.wanted()
    if args.version:
        spec = EngineBuild(args.version, spec.cmake_args)
    if args.command == "_build":  # the compile itself, in the process that start() or install() runs
        spec.pid_file.parent.mkdir(parents=True, exist_ok=True)
        spec.pid_file.write_text(f"{os.getpid()}\n")
        try:
            return build(spec)
        finally:
            if spec.pid_file.is_file() and spec.pid_file.read_text().split()[:1] == [str(os.getpid())]:
                spec.pid_file.unlink()
    if args.command == "start":
        print(start(spec))
        return 0
    if args.command == "status":
        print(f"llama.cpp engine: {status(spec)}")
        return 0
    return install(spec)


if __name__ == "__main__":
    sys.exit(main())
