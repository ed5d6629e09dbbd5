"""Packaging: environment.yml and pyproject.toml pin the same versions; the CI script runs `make test`."""

from __future__ import annotations

import tomllib

import yaml

from course_utils.paths import repo_root


def test_environment_yml_matches_pyproject_pins():
    project = tomllib.loads((repo_root() / "pyproject.toml").read_text())["project"]
    pins = set(project["dependencies"]).union(*project["optional-dependencies"].values())
    env = yaml.safe_load((repo_root() / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_pins = {line for line in pip_section if not line.startswith("-e")}
    assert conda_pins == pins, {"only in environment.yml": conda_pins - pins, "only in pyproject": pins - conda_pins}
    assert "python=3.11" in env["dependencies"]
    assert all("==" in pin for pin in pins), "every requirement is pinned exactly"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (repo_root() / ".ci" / "run").read_text()
    assert "make test" in (repo_root() / "README.md").read_text()
