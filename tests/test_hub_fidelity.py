"""Other people's Hugging Face teaching code, run unchanged against the course hub (issue 15).

tests/hub_fidelity/ keeps code cells of public teaching material, each file naming its source and licence: the
Hugging Face course (chapters 1 to 4 and 6, PyTorch version), the quick-starts of transformers, datasets,
huggingface_hub and sentence-transformers, and three sentence-transformers usage guides (similarity, paraphrase
mining, semantic search). Each file runs in order in a fresh interpreter with its own HF_HOME (so login() there
touches no other token), against the session's course hub. Every cell counts, failures by design (a cell the
material says will fail, a repo created twice, a placeholder such as "<namespace>", a GPU) and APIs that
transformers 5 or huggingface_hub 1 removed (the question-answering, summarization and translation pipelines,
`organization=`, `Repository`) included, and the cells that depend on a failed one.

Issue 15 asks for 4 in 5. Measured on 2026-12-06: 255 of 336 (75.9%). The 81 failures: 35 from datasets loaded by a
one-part id and the cells depending on them (`load_dataset("glue", "mrpc")` and "rotten_tomatoes": datasets 5 with
huggingface_hub 2 refuses the id in its own hf:// paths, on huggingface.co too; "code_search_net" and "wikitext" are
not in this hub, and would meet the same refusal); 31 from removed APIs and their dependants; 8 by design or from
errors in the text (placeholders, a repo created twice, "This line will fail", a ragged list of ids); 1 needs a GPU;
2 from packages the course does not install (torchcodec to decode audio, evaluate); 4 from models not in this hub
(SmolLM2-360M; ViT and Whisper-large-v3, catalogue-only, whose inputs are URLs on huggingface.co as well;
huggingface-course/code-search-net-tokenizer), each refused with the sentence saying what to do. PASS_RATE holds a
little under the measured level so a regression fails; raise it when the corpus passes more.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CORPUS = Path(__file__).parent / "hub_fidelity"
RUNNER = CORPUS / "run_cells.py"
PASS_RATE = 0.74


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*.py") if p != RUNNER)


def test_corpus_files_name_their_source_and_licence():
    for path in corpus_files():
        head = path.read_text(encoding="utf-8").split("# %%")[0]
        assert "# Source: https://" in head and "# Licence: Apache-2.0" in head, path.name


def _run_file(path: Path, tmp_path: Path) -> list[dict]:
    home, cwd = tmp_path / path.stem / "home", tmp_path / path.stem / "cwd"
    cwd.mkdir(parents=True)
    out = tmp_path / f"{path.stem}.json"
    cache = Path(os.environ["HF_HOME"]) / "hub"  # the session's download cache: each file downloads once
    env = {**os.environ, "HF_HOME": str(home), "HF_HUB_CACHE": str(cache), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(RUNNER), str(path), str(out)], cwd=cwd, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    assert out.exists(), f"{path.name} did not run: {proc.stderr[-3000:]}"
    return json.loads(out.read_text())


def test_other_peoples_teaching_code_runs_on_the_course_hub(hub, tmp_path):
    # Two files at a time (each is its own interpreter, mostly starting up and loading): the machine has two cores.
    # The longest files start first, so that the two finish together.
    files = sorted(corpus_files(), key=lambda path: path.stat().st_size, reverse=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(zip(files, pool.map(lambda path: _run_file(path, tmp_path), files), strict=True))
    results = [r for path in corpus_files() for r in runs[path]]
    failed = [r for r in results if not r["ok"]]
    for r in failed:
        print(f"\n--- FAIL {r['file']} cell {r['cell']} ({r['seconds']}s)\n{r['source']}\n=> {r['error']}")
    rate = 1 - len(failed) / len(results)
    print(f"\n{len(results) - len(failed)} of {len(results)} cells passed ({rate:.0%})")
    assert rate >= PASS_RATE, f"{len(failed)} of {len(results)} cells failed; see the output above"
