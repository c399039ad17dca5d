"""Every command's --help follows one style: upper-case argument placeholders, flags without a
``<bool>`` placeholder, defaults as ``[default: ...]``, one ``Example:``, a one-line summary."""

from __future__ import annotations

import re

import pytest
import typer.main

from uplift_lab.cli import app

COMMANDS = sorted(typer.main.get_command(app).commands)
PROSE_DEFAULT = re.compile(r"\(default\b|\bdefault:|\bDefault\b|[,;] default ")


def _help(runner, *argv: str) -> str:
    result = runner.invoke(app, [*argv, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_is_covered() -> None:
    assert set(COMMANDS) >= {"synth", "segment", "design", "analyze", "train", "score",
                             "evaluate", "target", "demo"}  # fmt: skip


@pytest.mark.parametrize("name", COMMANDS)
def test_flags_show_no_bool_placeholder(runner, name) -> None:
    assert "<bool>" not in _help(runner, name)


def test_the_top_level_help_shows_no_bool_placeholder(runner) -> None:
    assert "<bool>" not in _help(runner)


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_has_exactly_one_example(runner, name) -> None:
    text = _help(runner, name)
    assert text.count("Example:") == 1, text
    assert re.search(r"Example: uplift-lab " + name, text), text


@pytest.mark.parametrize("name", COMMANDS)
def test_arguments_are_upper_case_placeholders(runner, name) -> None:
    command = typer.main.get_command(app).commands[name]
    ctx = command.make_context(name, ["--help"], resilient_parsing=True)
    arguments = [p for p in command.get_params(ctx) if p.param_type_name == "argument"]
    usage = next(line for line in _help(runner, name).splitlines() if "Usage:" in line)
    for argument in arguments:
        assert argument.metavar and argument.metavar == argument.metavar.upper()
        assert argument.metavar in usage, usage


def test_the_usual_placeholders_are_used(runner) -> None:
    assert "ORDERS" in _help(runner, "segment")
    assert "SEGMENTS" in _help(runner, "design")
    assert "MODEL_DIR" in _help(runner, "score") and "MODEL_DIR" in _help(runner, "evaluate")


@pytest.mark.parametrize("name", COMMANDS)
def test_defaults_are_shown_as_default_tags_not_prose(runner, name) -> None:
    command = typer.main.get_command(app).commands[name]
    ctx = command.make_context(name, ["--help"], resilient_parsing=True)
    for param in command.get_params(ctx):
        text = re.sub(r"\\?\[default: [^\]]*\]", "", param.help or "")
        assert not PROSE_DEFAULT.search(text), f"{name} {param.name}: {param.help}"


def test_top_level_list_has_one_line_per_command(runner) -> None:
    text = _help(runner)
    panel = text[text.index("Commands") :].splitlines()[1:]
    rows = [line.strip("│ ").strip() for line in panel if line.startswith("│")]
    assert len(rows) == len(COMMANDS), "\n".join(panel)
    assert [row.split()[0] for row in rows] == list(typer.main.get_command(app).commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_bracketed_words_in_help_are_not_eaten_as_rich_markup(runner, name) -> None:
    """rich reads an unescaped ``[orders]`` as a style tag and prints nothing for it."""
    command = typer.main.get_command(app).commands[name]
    ctx = command.make_context(name, ["--help"], resilient_parsing=True)
    texts = [command.help or ""] + [param.help or "" for param in command.get_params(ctx)]
    words = {w for t in texts for w in re.findall(r"\[\[?[a-z_]+\]\]?", t.replace("\\[", "["))}
    shown = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"}).output
    flat = re.sub(r"[\s│]+", " ", shown)
    for word in sorted(words):
        assert word in flat, f"{name} --help lost {word!r}"


@pytest.mark.parametrize("name", COMMANDS)
def test_no_option_name_or_word_is_cut_at_80_columns(runner, name) -> None:
    """typer cut 18 option names at 80 columns (``--allow-observat…``); each name is whole,
    on a line of its own cell, and nothing is elided."""
    shown = _help(runner, name)
    assert "…" not in shown
    command = typer.main.get_command(app).commands[name]
    ctx = command.make_context(name, ["--help"], resilient_parsing=True)
    cells = {cell.strip() for line in shown.splitlines() for cell in line.split("  ")}
    for param in command.get_params(ctx):
        for flag in [*param.opts, *param.secondary_opts]:
            if flag.startswith("--"):
                assert any(cell.strip("│ ").startswith(flag) for cell in cells), flag


def test_a_flag_pair_still_parses_as_one_option(runner, tmp_path) -> None:
    """The help lists --monthfirst under --dayfirst; the option still reads both ways."""
    orders = tmp_path / "o.csv"
    orders.write_text("customer_id,order_time,amount\na,05/03/2026,1\nb,04/03/2026,2\n")
    days = {}
    for flag in ("--dayfirst", "--monthfirst"):
        out = tmp_path / f"{flag.strip('-')}.csv"
        result = runner.invoke(app, ["segment", str(orders), "--as-of", "2026-06-01", "--out",
                                     str(out), "--thresholds", "fixed", flag])  # fmt: skip
        assert result.exit_code == 0, result.output
        days[flag] = out.read_text().splitlines()[1].split(",")[1]
    assert days["--dayfirst"] != days["--monthfirst"]  # 5 March vs 3 May: other recencies
