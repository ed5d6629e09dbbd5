"""Run one file of cells in order, as a notebook kernel would, and write what happened to a JSON file.

    python run_cells.py CELLS.py RESULTS.json

Cells are separated by lines starting with `# %%` (the percent format that Jupytext and editors read); a
marker `# %% skip: REASON` keeps that cell from running, and it counts as a failure. As in a notebook, a cell's
last expression is displayed (here: turned into its repr, so display code runs too).
"""

from __future__ import annotations

import ast
import json
import sys
import time
import traceback
from pathlib import Path


def read_cells(path: Path) -> list[dict]:
    cells: list[dict] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# %%"):
            marker = line[4:].strip()
            cells.append({"source": [], "skip": marker[5:].strip() if marker.startswith("skip:") else None})
        elif cells:
            cells[-1]["source"].append(line)
    for cell in cells:
        cell["source"] = "\n".join(cell["source"]).strip("\n")
    return [c for c in cells if c["source"].strip()]


def run_cell(source: str, namespace: dict, name: str) -> None:
    tree = ast.parse(source, filename=name)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, name, "exec"), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), name, "eval"), namespace)
        if value is not None:
            repr(value)


def main(cells_file: str, results_file: str) -> None:
    path = Path(cells_file)
    namespace: dict = {"__name__": "__main__"}
    results = []
    for i, cell in enumerate(read_cells(path), 1):
        lines = [line for line in cell["source"].splitlines() if line.strip()]
        first = next((line for line in lines if not line.startswith("#")), lines[0])  # a cell may be comments only
        entry = {"file": path.name, "cell": i, "first_line": first, "source": cell["source"]}
        t0 = time.perf_counter()
        if cell["skip"]:
            entry.update(ok=False, error=f"skipped: {cell['skip']}")
        else:
            try:
                run_cell(cell["source"], namespace, f"<{path.stem} cell {i}>")
                entry.update(ok=True, error=None)
            except Exception as exc:  # a failing cell does not stop the next ones, as in a notebook
                chain = traceback.format_exception_only(type(exc), exc)[-1].strip()
                cause = exc.__cause__ or exc.__context__
                if cause is not None:
                    chain += " <- " + traceback.format_exception_only(type(cause), cause)[-1].strip()
                entry.update(ok=False, error=chain[:1500])
        entry["seconds"] = round(time.perf_counter() - t0, 2)
        results.append(entry)
        print(f"[{'ok' if entry['ok'] else 'FAIL'}] {path.name} cell {i}: {first}", file=sys.stderr, flush=True)
        Path(results_file).write_text(json.dumps(results, indent=1))  # kept as far as it got, if killed


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
