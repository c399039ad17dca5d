"""The layers of STYLE.md hold: the import-linter contracts of pyproject.toml are kept.

Every import counts, function-local ones too (grimp reads them all). The contracts list
today's known exceptions in ``ignore_imports``; import-linter fails on a listed exception that
no longer exists, so the list can only shrink.
"""

from __future__ import annotations

import subprocess
import sys
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


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_no_import_cycle_function_local_imports_counted() -> None:
    """No two modules import each other, directly or around a loop (grimp reads every import,
    so a cycle cannot hide behind a function-local import)."""
    assert _cycles(grimp.build_graph("uplift_lab")) == []


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "a.b", "a.c", "a.d"):
        graph.add_module(module)
    graph.add_import(importer="a.b", imported="a.c")
    graph.add_import(importer="a.c", imported="a.b")
    graph.add_import(importer="a.c", imported="a.d")
    assert _cycles(graph) == [["a.b", "a.c"]]


HEAVY_PACKAGES = (
    "duckdb", "jinja2", "lightgbm", "matplotlib", "numpy", "pandas", "pyarrow", "pyspark",
    "scipy", "sklearn", "sklift", "statsmodels",
)  # fmt: skip


def test_importing_the_cli_imports_no_heavy_package() -> None:
    """``uplift-lab --help`` stays fast: the CLI imports workflows (and with them the numeric
    stack) inside its commands, so a fresh ``import uplift_lab.cli`` loads none of these."""
    code = (
        "import sys, uplift_lab.cli; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert sorted(set(loaded) & set(HEAVY_PACKAGES)) == []


def test_no_module_over_600_lines() -> None:
    """Issue 11's size rule: a module that grows past 600 lines is split by idea."""
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in (ROOT / "uplift_lab").rglob("*.py")
    }
    assert {path: n for path, n in sizes.items() if n > 600} == {}
