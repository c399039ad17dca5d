"""The layers of STYLE.md hold: the import-linter contracts of pyproject.toml are kept.

Every import counts, function-local ones too (grimp reads them all). The contracts list
today's known exceptions in ``ignore_imports``; import-linter fails on a listed exception that
no longer exists, so the list can only shrink.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
UPPER = ("uplift_lab.cli", "uplift_lab.workflows", "uplift_lab.report")


def _contracts() -> list[dict]:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def test_the_import_linter_contracts_are_kept() -> None:
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(PYPROJECT)) == 0  # its report names a broken one


def test_every_step_module_is_under_the_contracts() -> None:
    """A new module below report must be listed, or it could climb up unnoticed."""
    steps = next(c for c in _contracts() if c["name"].startswith("steps never"))
    listed = set(steps["source_modules"])
    graph = grimp.build_graph("uplift_lab")
    unlisted = [
        module
        for module in sorted(graph.modules)
        if module not in ("uplift_lab", "uplift_lab.io")
        and not module.startswith(UPPER)
        and not any(module == m or module.startswith(m + ".") for m in listed)
    ]
    assert not unlisted, f"add to the contracts in pyproject.toml: {unlisted}"


@pytest.mark.parametrize("upper", UPPER)
def test_no_step_imports_an_upper_layer_beyond_the_listed_exceptions(upper) -> None:
    """The same rule read directly off the import graph (an independent check of the config)."""
    steps = next(c for c in _contracts() if c["name"].startswith("steps never"))
    allowed = {tuple(rule.split(" -> ")) for rule in steps.get("ignore_imports", [])}
    graph = grimp.build_graph("uplift_lab")
    climbing = [
        (module, imported)
        for module in graph.modules
        if not module.startswith(UPPER) and module != "uplift_lab"
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith(upper) and (module, imported) not in allowed
    ]
    assert not climbing, climbing
