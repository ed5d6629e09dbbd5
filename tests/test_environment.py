"""course_utils/environment.py (lesson 00): check_environment() against the pinned versions."""

from __future__ import annotations

from course_utils.environment import PackageCheck, check_environment, pinned_requirements


def test_environment_check_passes_here_and_reports_failures(capsys):
    checks = check_environment(include_dev=True)
    out = capsys.readouterr().out
    assert checks and all(c.ok for c in checks), [c.line() for c in checks if not c.ok]
    assert "[OK] torch" in out and "[OK] transformers" in out and "[OK] nbval" in out
    assert pinned_requirements()["torch"] == "2.13.0"
    assert "nbval" not in pinned_requirements()  # dev tools only with include_dev
    assert PackageCheck("torch", "2.13.0", "2.13.0+cpu").ok  # local build tags are fine
    wrong = PackageCheck("transformers", "5.23.0", "4.57.0")
    missing = PackageCheck("peft", "0.21.2", None)
    assert not wrong.ok and wrong.line().startswith("[FAIL]") and "4.57.0" in wrong.line()
    assert not missing.ok and "not installed" in missing.line()


def test_a_missing_llama_cpp_build_is_named_as_lesson_06s_not_the_course(capsys, monkeypatch):
    """A learner whose llama.cpp compile failed can still do lessons 00-05: the check says so."""
    import course_utils.environment as environment

    real = environment.installed_version
    monkeypatch.setattr(environment, "installed_version",
                        lambda name: None if name == "llama-cpp-python" else real(name))
    checks = check_environment()
    out = capsys.readouterr().out
    assert [c.name for c in checks if not c.ok] == ["llama-cpp-python"]
    assert "[FAIL] llama-cpp-python" in out and "lessons 00-05 run without it" in out
    assert "The core packages match" in out and "make engine" in out
