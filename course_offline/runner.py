"""`make course`: execute every lesson headless with papermill, then write build/index.html.

Offline (or with COURSE_HUB=local) the lessons run against a course hub started here for the run,
so no hub process is left behind; online they run against huggingface.co. The notebook tests use
`execute_lesson` too, so `make course` and `make test` execute lessons the same way.
"""

from __future__ import annotations

import argparse
import ast
import html
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from course_utils.paths import build_dir, course_hf_home, hub_root, repo_root

KERNEL = "open-models-course"
# The kernel process's own log, not the cells' output: its one line per lesson ("running over TCP without encryption",
# a kernel on this machine talking to this process) is nothing a learner can act on.
KERNEL_QUIET = ["--IPKernelApp.log_level=ERROR"]


@dataclass
class LessonRun:
    name: str
    ok: bool
    seconds: float
    output: Path
    error: str = ""


def lessons() -> list[Path]:
    """Every numbered lesson, in order: a new notebook is picked up without editing anything."""
    return sorted((repo_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"))


CHECKED_OUTPUT_MARK = "NBVAL_CHECK_OUTPUT"


def has_checked_outputs(path: Path) -> bool:
    """Does the lesson keep stored outputs that nbval compares (cells marked NBVAL_CHECK_OUTPUT)?"""
    import nbformat

    cells = nbformat.read(path, as_version=4).cells
    return any(c.cell_type == "code" and CHECKED_OUTPUT_MARK in c.source for c in cells)


def lesson_parameters(path: Path) -> list[str]:
    """The names the lesson's `parameters` cell assigns: the ones `-p NAME=VALUE` may override."""
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            return [t.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign)
                    for t in node.targets if isinstance(t, ast.Name)]
    return []


def execute_lesson(path: Path, out_dir: Path, parameters: dict | None = None, timeout: int = 900) -> LessonRun:
    import papermill

    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / path.name
    unknown = sorted(set(parameters or {}) - set(lesson_parameters(path)))
    if unknown:  # papermill would only warn, and the lesson would run with its defaults
        return LessonRun(path.stem, False, 0.0, output,
                         f"{path.stem} has no parameter {', '.join(unknown)}; "
                         f"its parameters are: {', '.join(lesson_parameters(path))}")
    start = time.perf_counter()
    try:
        papermill.execute_notebook(str(path), str(output), parameters=parameters or {}, kernel_name=KERNEL,
                                   cwd=str(path.parent), progress_bar=False, execution_timeout=timeout,
                                   extra_arguments=KERNEL_QUIET)
        return LessonRun(path.stem, True, time.perf_counter() - start, output)
    except Exception as exc:  # papermill raises PapermillExecutionError with the failing cell
        return LessonRun(path.stem, False, time.perf_counter() - start, output, str(exc)[-3000:])


def _to_html(run: LessonRun) -> Path | None:
    from nbconvert import HTMLExporter

    if not run.output.exists():
        return None
    body, _ = HTMLExporter().from_filename(str(run.output))
    page = run.output.with_suffix(".html")
    page.write_text(body, encoding="utf-8")
    return page


def write_index(runs: list[LessonRun], target: Path, mode: str) -> None:
    rows = []
    for run in runs:
        page = run.output.with_suffix(".html")
        link = page if page.exists() else run.output
        status = "passed" if run.ok else "FAILED"
        detail = "" if run.ok else f"<pre>{html.escape(run.error)}</pre>"
        rows.append(f"<tr class='{status}'><td><a href='{link.relative_to(target.parent)}'>{run.name}</a></td>"
                    f"<td>{status}{detail}</td><td>{run.seconds:.1f} s</td></tr>")
    target.write_text(f"""<!doctype html><html><head><meta charset="utf-8">
<title>Open Models Course: executed lessons</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.3em 1em;text-align:left;vertical-align:top}}
.FAILED{{background:#fdd}} .passed{{background:#efe}} pre{{white-space:pre-wrap;font-size:.8em}}</style></head>
<body><h1>Open Models Course: executed lessons</h1>
<p>Mode: {html.escape(mode)}. Executed {time.strftime('%Y-%m-%d %H:%M')} with papermill.</p>
<table><tr><th>lesson</th><th>status</th><th>wall time</th></tr>{''.join(rows)}</table></body></html>
""", encoding="utf-8")


def write_manifest(runs: list[LessonRun], out_dir: Path, mode: str) -> Path:
    """runs.json beside the executed lessons: what `make site` shows on each page (status, time, mode, machine,
    versions, date). Lessons run earlier into the same folder keep their entries."""
    import json
    import platform

    from course_utils.environment import key_versions

    target = out_dir / "runs.json"
    previous = json.loads(target.read_text()) if target.exists() else {}
    lessons_by_name = {entry["name"]: entry for entry in previous.get("lessons", [])}
    context = {
        "mode": mode,
        "online": not mode.startswith("course hub"),
        "executed_at": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()} {platform.release()}",
        "versions": f"python {platform.python_version()}, {key_versions()}",
    }
    for r in runs:
        lessons_by_name[r.name] = {"name": r.name, "ok": r.ok, "seconds": round(r.seconds, 1),
                                   "notebook": r.output.name, "error": r.error[-1500:], **context}
    manifest = {"lessons": [lessons_by_name[name] for name in sorted(lessons_by_name)]}
    target.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return target


def _lock_output(out_dir: Path):
    """An exclusive lock on the executed-notebook folder (two runs at once would overwrite each other's
    notebooks); None when another run holds it."""
    import fcntl

    out_dir.mkdir(parents=True, exist_ok=True)
    lock = open(out_dir / ".runner.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    return lock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_offline.runner", description=__doc__)
    parser.add_argument("lessons", nargs="*", help="lesson names or prefixes (default: all), e.g. 00")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override a lesson's parameters cell, e.g. -p seed=1 (VALUE is read as Python)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="write the executed lessons and index.html to DIR (default: build/executed, with "
                             "the index in build/)")
    args = parser.parse_args(argv)
    from course_utils.session import CourseSetupError, build_hub_if_needed, online
    from course_utils.tokens import load_dotenv_file

    from .hub import CourseHub, CourseHubError

    load_dotenv_file()  # COURSE_HUB and friends, as the lessons' setup() reads them
    try:
        parameters = {name: ast.literal_eval(value) for name, value in (p.split("=", 1) for p in args.param)}
    except (ValueError, SyntaxError):
        print("error: give parameters as NAME=VALUE with a Python literal value, e.g. -p seed=1", file=sys.stderr)
        return 2

    selected = [p for p in lessons() if not args.lessons or any(p.stem.startswith(x) for x in args.lessons)]
    if not selected:
        print("No lessons matched.", file=sys.stderr)
        return 2
    declared = {path: lesson_parameters(path) for path in selected}
    unknown = sorted(name for name in parameters if not any(name in names for names in declared.values()))
    if unknown:
        print(f"error: no selected lesson has a parameter {', '.join(unknown)}. Their parameters:", file=sys.stderr)
        for path, names in declared.items():
            print(f"  {path.stem}: {', '.join(names)}", file=sys.stderr)
        return 2
    out_dir = args.out.resolve() if args.out else build_dir() / "executed"
    index = out_dir / "index.html" if args.out else build_dir() / "index.html"
    lock = _lock_output(out_dir)
    if lock is None:
        print(f"error: another `make course` (or runner) is writing {out_dir} right now. Wait for it to finish, "
              "or give this run its own folder with --out DIR.", file=sys.stderr)
        return 2
    hub = None
    choice = os.environ.get("COURSE_HUB", "auto").lower()
    if choice == "local" or (choice == "auto" and not os.environ.get("HF_ENDPOINT") and not online()):
        try:
            build_hub_if_needed(hub_root())
            hub = CourseHub(hub_root(), port=0).start()  # private to this run, on a free port
        except (CourseHubError, CourseSetupError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            lock.close()
            return 2
        os.environ.update(HF_ENDPOINT=hub.url, HF_HOME=str(course_hf_home()), HF_HUB_DISABLE_TELEMETRY="1")
        mode = f"course hub ({hub.url} for this run: real small models, random-weight stand-ins, catalogue metadata)"
    else:
        mode = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"  # progress bars saved as text are noise
    runs = []
    try:
        for path in selected:
            run = execute_lesson(path, out_dir, {k: v for k, v in parameters.items() if k in declared[path]})
            _to_html(run)
            runs.append(run)
            print(f"{'passed' if run.ok else 'FAILED'}  {run.name}  {run.seconds:.1f}s", flush=True)
            if not run.ok:
                print(run.error, file=sys.stderr)
    finally:
        if hub is not None:
            hub.stop()
        lock.close()
    write_index(runs, index, mode)
    write_manifest(runs, out_dir, mode)
    print(f"Index: {index}")
    return 0 if all(r.ok for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
