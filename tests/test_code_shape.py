"""The code stays small enough to read: no function in the app (tests, migrations and
the bench aside) longer than 40 lines; ruff's C901 bounds complexity at 10."""

import ast

from django.conf import settings

LONGEST = 40


def functions(root):
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield path.relative_to(settings.BASE_DIR), node


def test_no_function_is_longer_than_40_lines():
    too_long = [
        f"{path}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for folder in ("agreements", "kommogen_site")
        for path, node in functions(settings.BASE_DIR / folder)
        if node.end_lineno - node.lineno + 1 > LONGEST
    ]
    assert not too_long


def test_ruff_bounds_complexity_at_10():
    config = (settings.BASE_DIR / "pyproject.toml").read_text()
    assert '"C90"' in config and "max-complexity = 10" in config


def test_production_installs_no_test_or_lint_tools():
    production = (settings.BASE_DIR / "requirements.lock").read_text()
    development = (settings.BASE_DIR / "requirements-dev.lock").read_text()
    for tool in ("pytest==", "ruff==", "playwright==", "coverage==", "pre-commit=="):
        assert f"\n{tool}" not in production and f"\n{tool}" in development, tool
    makefile = (settings.BASE_DIR / "Makefile").read_text()
    assert "\nrun: install var/" in makefile  # make run installs the production lock only
