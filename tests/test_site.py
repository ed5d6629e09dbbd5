"""`make site` (course_offline/site.py): the executed lessons as a static site, opened in a real headless Chromium.

The lessons themselves are executed elsewhere in the test run (each once); here two lessons are given outputs of
the kinds a lesson has (a printed table, a matplotlib plot) so the site can be checked without running them again.
"""

from __future__ import annotations

import base64
import functools
import http.server
import io
import json
import shutil
import threading
from pathlib import Path

import nbformat
import pytest

from course_offline.runner import lessons
from course_offline.site import build_site, objectives
from course_utils.paths import build_dir

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


def _plot_png() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(["a", "b"], [1, 2])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    executed = tmp_path_factory.mktemp("executed")
    chosen = lessons()[:2]
    for path in chosen:
        nb = nbformat.read(path, as_version=4)
        code = next(c for c in nb.cells if c.cell_type == "code" and "setup(" in c.source)
        code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="Open Models Course setup\n"),
                        nbformat.v4.new_output("display_data", data={"image/png": _plot_png(), "text/plain": "<Fig>"})]
        nbformat.write(nb, executed / path.name)
    runs = [{"name": p.stem, "ok": True, "seconds": 12.0, "notebook": p.name, "error": "", "mode": "course hub",
             "online": False, "executed_at": "2026-12-01 12:00 UTC", "machine": "x86_64, 2 CPU cores",
             "versions": "python 3.11.7"} for p in chosen]
    (executed / "runs.json").write_text(json.dumps({"lessons": runs}))
    out = tmp_path_factory.mktemp("site") / "site"
    home = build_site(executed, out)
    return {"home": home, "out": out, "lessons": chosen}


def test_every_executed_lesson_has_a_page_and_a_row_with_its_objectives(site):
    page = site["home"].read_text()
    for path in site["lessons"]:
        assert (site["out"] / f"{path.stem}.html").exists()
        assert f"href='{path.stem}.html'" in page
        goals = objectives(nbformat.read(path, as_version=4))
        assert goals and goals[0][:40] in page.replace("&#x27;", "'").replace("&quot;", '"')
    assert "course hub" in page and "12 s" in page and "2 CPU cores" in page


def test_pages_say_how_they_were_executed_and_fetch_nothing_from_the_internet(site):
    lesson = (site["out"] / f"{site['lessons'][0].stem}.html").read_text()
    assert "Executed offline, in course-hub mode" in lesson and "Versions: python 3.11.7" in lesson
    for name in ("cdnjs", "require.min.js", "mathjax", "unpkg", "googleapis"):
        assert name not in lesson.lower(), name


def test_a_missing_course_run_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="make course"):
        build_site(tmp_path, tmp_path / "site")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed here: `make browser` installs Debian's "
                                                  "chromium (CI does); the site's HTML checks above still ran")
def test_the_site_in_headless_chromium_loads_pages_with_plots_and_working_links(site):
    from playwright.sync_api import sync_playwright

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site["out"]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    outside, failed = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.on("request", lambda r: None if r.url.startswith((base, "data:")) else outside.append(r.url))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(f"{base}/index.html")
            links = page.eval_on_selector_all("a[href$='.html']", "els => els.map(e => e.getAttribute('href'))")
            assert len(links) == len(site["lessons"])
            for link in links:
                response = page.goto(f"{base}/{link}")
                assert response.ok, link
                widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
                assert widths and all(w > 0 for w in widths), f"{link}: its plot did not render"
                nav = page.eval_on_selector_all(".course-nav a", "els => els.map(e => e.getAttribute('href'))")
                for target in nav:
                    assert page.request.get(f"{base}/{target}").ok, f"{link} links to a missing page {target}"
            page.goto(f"{base}/{links[0]}")
            shot = build_dir() / "site-screenshot.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=False)
            browser.close()
    finally:
        server.shutdown()
    assert not outside, f"the site fetched from outside this machine: {outside[:5]}"
    assert not failed, failed[:5]
    assert shot.stat().st_size > 10_000
    shutil.copyfile(shot, site["out"] / "screenshot.png")
