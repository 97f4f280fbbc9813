"""The shape of the code, checked: every platform module has a place in the layer contract
(.importlinter, which `lint-imports` checks in CI), and no module grows into a grab-bag."""

import ast
import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("budgetpay", "users", "transactions", "goals", "budgets", "chatbot", "notifications", "bench")
MAX_LINES = 450
# A module may be longer when its docstring says why, on a line that starts with this.
SIZE_REASON = "Size:"


def _contract_layers() -> list[set[str]]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    layers = config["importlinter:contract:layers"]["layers"].strip().splitlines()
    return [{name.strip().strip("()") for name in layer.split(":")} for layer in layers]


def test_every_module_of_the_platform_is_named_in_the_layer_contract():
    layers = _contract_layers()
    named = set().union(*layers)
    children = {
        f"budgetpay.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "budgetpay").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert children - named == set(), "name these in .importlinter: in the platform row or the composition root's"
    assert {"users", "transactions", "goals", "budgets", "chatbot", "notifications"} <= named


def _product_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if {"tests", "migrations"} & set(relative.parts) or path.name.startswith("test_"):
                continue
            yield relative, path


def test_no_module_is_over_450_lines_without_a_reason_at_its_top():
    too_long = []
    for relative, path in _product_modules():
        text = path.read_text()
        if text.count("\n") <= MAX_LINES:
            continue
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if not any(line.startswith(SIZE_REASON) for line in docstring.splitlines()):
            too_long.append(f"{relative} ({text.count(chr(10))} lines)")
    assert too_long == [], f"split these, or say why they are long on a '{SIZE_REASON}' line of their docstring"


def test_the_size_check_sees_a_long_module_and_accepts_a_written_reason(tmp_path):
    """The check above cannot pass by reading nothing."""
    assert sum(1 for _ in _product_modules()) > 100
    long_body = "x = 1\n" * (MAX_LINES + 1)
    reasoned = ast.get_docstring(ast.parse(f'"""A table.\n\n{SIZE_REASON} one table of data."""\n{long_body}'))
    assert any(line.startswith(SIZE_REASON) for line in reasoned.splitlines())
