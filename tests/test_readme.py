"""The README's two fresh-machine lines stay true: CI runs the same test command, and the
demo line names commands that exist."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from uplift_lab.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _fresh_machine_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Fresh machine: two lines", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_readme_has_exactly_two_copy_paste_lines() -> None:
    lines = _fresh_machine_lines()
    assert len(lines) == 2
    demo, tests = lines
    assert demo.endswith("uplift-lab demo") and "pip install -e ." in demo
    assert "pip install -e '.[test]'" in tests and tests.endswith("python -m pytest -q")


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # CI adds the spark extra (the Spark tests skip where pyspark is absent, e.g. the README's line)
    assert "pip install --quiet -e '.[test,spark]'" in script
    assert "\npython -m pytest -q\n" in script  # the README's command, in CI's own venv


def test_every_command_named_in_the_readme_exists() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"uplift-lab ([a-z][a-z-]*[a-z])", text))
    commands = set(typer.main.get_command(app).commands)
    assert named - {"turns"} <= commands, named - commands


def _zh_lines() -> list[str]:
    text = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    section = text.split("## 新机器：两行命令", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_chinese_readme_is_linked_and_its_two_lines_are_the_english_ones_with_lang_zh() -> None:
    assert "(README.zh-CN.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    demo, tests = _fresh_machine_lines()
    assert _zh_lines() == [demo + " --lang zh", tests]


def test_every_command_in_the_chinese_readme_exists_and_shown_ones_take_lang() -> None:
    text = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    commands = typer.main.get_command(app).commands
    named = set(re.findall(r"uplift-lab ([a-z][a-z-]*[a-z])", text))
    assert named <= set(commands), named - set(commands)
    shown = re.findall(r"^\$ uplift-lab (\w+) .*--lang zh$", text, flags=re.MULTILINE)
    assert {"segment", "analyze", "design", "target", "schedule", "plan"} <= set(shown)
    for command in shown:
        assert any(param.name == "lang" for param in commands[command].params), command
