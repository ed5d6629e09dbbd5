"""`make site`: a static site of the executed lessons in build/site/, readable offline.

Reads what `make course` wrote (build/executed/*.ipynb and runs.json) and renders each lesson with nbconvert's
lab template minus everything it would fetch from a CDN (course_offline/site_template/). The home page lists the
lessons with their objectives, status, wall time, the machine, the mode (online or course hub) and the date;
each lesson page says how it was executed and links to the previous and next lesson.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
from pathlib import Path

from course_utils.paths import build_dir

from .runner import lessons

TEMPLATE_DIR = Path(__file__).parent / "site_template"


def objectives(notebook) -> list[str]:
    """The numbered outcomes after "By the end of this lesson you can:" in the lesson's first markdown cell."""
    text = next((c.source for c in notebook.cells if c.cell_type == "markdown"), "")
    after = text.split("By the end of this lesson you can", 1)[-1] if "By the end" in text else ""
    items, current = [], None
    for line in after.splitlines():
        match = re.match(r"^\s*\d+\.\s+(.*)", line)
        if match:
            current = match.group(1).strip()
            items.append(current)
        elif current is not None and line.startswith("   ") and line.strip():
            items[-1] += " " + line.strip()
        elif items and not line.strip():
            break
    return items


def _title(notebook, fallback: str) -> str:
    first = next((c.source for c in notebook.cells if c.cell_type == "markdown"), "")
    match = re.match(r"#\s+(.*)", first)
    return match.group(1).strip() if match else fallback


def _run_banner(entry: dict | None) -> str:
    if entry is None:
        return "<div class='course-run offline'>Not executed yet: run <code>make course</code>.</div>"
    where = ("online, against huggingface.co and real models" if entry["online"] else
             "offline, in course-hub mode: SmolLM2, Gemma 3 270M and all-MiniLM-L6-v2 are real; other generative "
             "models are random-weight stand-ins whose text means nothing")
    status = "passed" if entry["ok"] else "FAILED"
    return (f"<div class='course-run{'' if entry['online'] else ' offline'}'>Executed {html.escape(where)}, "
            f"{html.escape(entry['executed_at'])}, in {entry['seconds']:.0f} s ({status}) on "
            f"{html.escape(entry['machine'])}.<br>Versions: {html.escape(entry['versions'])}.</div>")


def _nav(pages: list[tuple[str, str]], i: int) -> str:
    prev = f"<a href='{pages[i - 1][0]}'>&larr; {html.escape(pages[i - 1][1])}</a>" if i > 0 else "<span></span>"
    nxt = (f"<a href='{pages[i + 1][0]}'>{html.escape(pages[i + 1][1])} &rarr;</a>" if i + 1 < len(pages)
           else "<span></span>")
    return f"<nav class='course-nav'>{prev}<a href='index.html'>All lessons</a>{nxt}</nav>"


def build_site(executed: Path, out: Path) -> Path:
    """Render every executed lesson in `executed` into `out`; returns the home page."""
    import nbformat
    from nbconvert import HTMLExporter

    manifest_file = executed / "runs.json"
    if not manifest_file.exists():
        raise FileNotFoundError(f"No executed lessons in {executed} (runs.json is missing): run `make course` first.")
    runs = {entry["name"]: entry for entry in json.loads(manifest_file.read_text())["lessons"]}
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    sources = [p for p in lessons() if (executed / p.name).exists()]
    books = [(p, nbformat.read(executed / p.name, as_version=4)) for p in sources]
    pages = [(f"{p.stem}.html", _title(nb, p.stem)) for p, nb in books]
    exporter = HTMLExporter(template_name="course", extra_template_basedirs=[str(TEMPLATE_DIR)],
                            embed_images=True, exclude_input_prompt=True, exclude_output_prompt=True)
    rows = []
    for i, (path, notebook) in enumerate(books):
        entry = runs.get(path.stem)
        header = _nav(pages, i) + _run_banner(entry)
        body, _ = exporter.from_notebook_node(notebook, resources={"course_header": header,
                                                                   "course_footer": _nav(pages, i)})
        (out / pages[i][0]).write_text(body, encoding="utf-8")
        goals = "".join(f"<li>{html.escape(g)}</li>" for g in objectives(notebook))
        status = "not run" if entry is None else "passed" if entry["ok"] else "FAILED"
        seconds = "" if entry is None else f"{entry['seconds']:.0f} s"
        mode = "" if entry is None else "online" if entry["online"] else "course hub"
        rows.append(f"<tr class='{status.replace(' ', '-')}'><td><a href='{pages[i][0]}'>{html.escape(pages[i][1])}"
                    f"</a></td><td><ul>{goals}</ul></td><td>{status}</td><td>{seconds}</td><td>{mode}</td></tr>")
    first = next(iter(runs.values()), None)
    machine = (f"Executed on {html.escape(first['machine'])}, {html.escape(first['executed_at'])}; "
               f"{html.escape(first['versions'])}.") if first else ""
    home = out / "index.html"
    home.write_text(f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Open Models Course: the executed lessons</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
td,th{{padding:.4em .8em;text-align:left;vertical-align:top;border-bottom:1px solid #eee}}
ul{{margin:0;padding-left:1.2em}}
.FAILED{{background:#fdd}} .not-run{{color:#888}}</style></head>
<body><h1>Open Models Course</h1>
<p>Every lesson below was executed by <code>make course</code>; what you read is what ran, outputs, tables and plots
included. {machine}</p>
<table><tr><th>lesson</th><th>you will be able to</th><th>status</th><th>wall time</th><th>mode</th></tr>
{''.join(rows)}</table></body></html>
""", encoding="utf-8")
    return home


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_offline.site", description=__doc__)
    parser.add_argument("--executed", type=Path, default=None, help="executed lessons (default: build/executed)")
    parser.add_argument("--out", type=Path, default=None, help="site folder (default: build/site)")
    args = parser.parse_args(argv)
    try:
        home = build_site(args.executed or build_dir() / "executed", args.out or build_dir() / "site")
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Site: {home}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
