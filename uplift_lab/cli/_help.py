"""One look for every command's --help, applied when the app is built (commands stay as written).

- arguments are shown as upper-case placeholders (``ORDERS``, ``SEGMENTS``, ``MODEL_DIR``);
- flags show no ``<bool>`` value placeholder;
- a default given in an option's prose ("(default 30)", "Default: from design.json.") moves to
  the ``[default: ...]`` tag that typer prints for options with a literal default;
- paragraphs are re-flowed (no hard line breaks at the docstring's width), the command list shows
  the first sentence only, and every command ends with one ``Example:`` line;
- option names are never cut, also at 80 columns (:func:`keep_option_names_whole`).
"""

from __future__ import annotations

import copy
import re
import sys
from typing import Any

import typer
import typer.rich_utils
from rich.table import Table
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

try:  # typer >= 0.24 carries its own copy of click; its commands raise that copy's errors
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer on plain click
    from click import exceptions as click_errors

PLACEHOLDERS = {"input_path": "INPUT", "scores_file": "SCORES", "segments_file": "SEGMENTS"}

EXAMPLES = {
    "synth": "uplift-lab synth --customers 40000 --seed 0 --out shop",
    "segment": "uplift-lab segment shop/orders.csv --as-of 2026-10-20 --out segments.parquet",
    "design": "uplift-lab design segments.parquet --name spring_sms --holdout 0.1",
    "analyze": "uplift-lab analyze experiments/spring_sms --outcomes orders.csv --out reports/sms",
    "train": "uplift-lab train --experiment shop/past_sms --orders shop/orders.csv "
    "--out models/past_sms",
    "evaluate": "uplift-lab evaluate models/past_sms --out reports/model",
    "score": "uplift-lab score models/past_sms segments.parquet --out scores.parquet",
    "target": "uplift-lab target scores.parquet --segments segments.parquet --budget 200 "
    "--channel sms=0.05 --experiment experiments/double11 --out sendlist.csv",
    "plan": "uplift-lab plan shop/orders.csv --promo 2025-11-01:2025-11-11 --growth 0.2 "
    "--analysis reports/sms/report.json --out plans/double11",
    "demo": "uplift-lab demo --customers 40000",
    "import-campaign": "uplift-lab import-campaign campaign.csv --arm-col arm --control control "
    "--start 2026-06-01 --window-days 14 --out experiments/june_sms",
    "presets": "uplift-lab presets --json",
    "schedule": "uplift-lab schedule --segments segments.parquet --touches touches.toml "
    "--experiment experiments/double11 --start 2026-11-11 --out schedules/double11",
}

# One line each in `uplift-lab --help` (the command's own help keeps its full first paragraph).
SUMMARIES = {
    "synth": "Generate a shop with planted truth and a past SMS campaign.",
    "segment": "Segment customers by lifecycle stage, RFM and spend band.",
    "design": "Randomized send/holdout split per stratum, with power.",
    "analyze": "Measure what a campaign earned against its holdout.",
    "train": "Train uplift models on a past randomized campaign.",
    "score": "Score customers with a trained model, in batches.",
    "evaluate": "Evaluate uplift scores against random and RFM targeting.",
    "target": "Pick who gets which message within budget, for most profit.",
    "plan": "Promotion targets from the last one, and reach per segment.",
    "demo": "Run the whole loop on a generated shop, step by step.",
    "import-campaign": "Import a past campaign's plain file as an experiment.",
    "presets": "List the shop back-end exports that --preset reads.",
    "schedule": "Turn a multi-touch plan into per-touch send lists.",
}

# "(default 30)", "(default: design.json, else 14)" with one level of nested parentheses
_PAREN_DEFAULT = re.compile(r"\s*\((?:default:?|Default:?)\s+((?:[^()]|\([^()]*\))+)\)")
# ", default 0.1;" or "; default from the name." inside or at the end of a sentence
_CLAUSE_DEFAULT = re.compile(r"[,;]\s+default:?\s+([^;]+?)(?=;|\.\s|\.?$)")
# ". Default: the campaign's start." as the last sentence
_SENTENCE_DEFAULT = re.compile(r"(?<=[.)])\s+Default:\s+(.+?)\.?$", re.S)


def prose_default(help_text: str) -> tuple[str, str | None]:
    """Split an option's help into the text without its prose default, and that default."""
    for pattern in (_PAREN_DEFAULT, _SENTENCE_DEFAULT, _CLAUSE_DEFAULT):
        match = pattern.search(help_text)
        if match:
            rest = (help_text[: match.start()] + help_text[match.end() :]).strip()
            if rest and rest[-1] not in ".)":
                rest += "."
            return rest, match.group(1).strip().replace('"', "")
    return help_text, None


def reflow(text: str) -> str:
    """Join the lines of each paragraph (lines starting a list item keep their break)."""
    paragraphs = text.strip().split("\n\n")
    joined = []
    for paragraph in paragraphs:
        lines = [line.strip() for line in paragraph.splitlines()]
        out = lines[:1]
        for line in lines[1:]:
            if re.match(r"(-|\*|\d+\.)\s", line):
                out.append("\n" + line)
            else:
                out.append(" " + line)
        joined.append("".join(out))
    return "\n\n".join(joined)


def first_sentence(text: str) -> str:
    paragraph = " ".join(text.strip().split("\n\n")[0].split())
    match = re.search(r"(?<=[a-z)])\.(\s|$)", paragraph)
    return paragraph[: match.start() + 1] if match else paragraph


class PolishedCommand(TyperCommand):
    """A TyperCommand whose help follows the house rules above."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.help:
            help_text = reflow(self.help)
            example = EXAMPLES.get(self.name or "")
            if example and "Example:" not in help_text:
                help_text += f"\n\nExample: {example}"
            self.help = help_text
            self.short_help = SUMMARIES.get(self.name or "") or first_sentence(help_text)
        for param in self.params:
            _polish(param)

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            _polish(param)
        return params


class PolishedGroup(TyperGroup):
    """The app's group: its own options (--version, --help) without ``<bool>``; a usage error
    (unknown option, missing file, value out of range) is one ``error:`` line naming where to
    look, exit 2, like every input error of the library, instead of typer's usage line and box.
    """

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            _polish(param)
        return params

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:  # fmt: skip
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click_errors.NoArgsIsHelpError as exc:  # typer has printed the help
            sys.exit(exc.exit_code)
        except click_errors.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx is not None else "uplift-lab"
            print(f"error: {_one_line(exc)} (see '{command} --help')", file=sys.stderr)
            sys.exit(exc.exit_code)
        except click_errors.ClickException as exc:
            print(f"error: {_one_line(exc)}", file=sys.stderr)
            sys.exit(exc.exit_code)
        except typer.Abort:
            print("Aborted.", file=sys.stderr)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _one_line(exc: Exception) -> str:
    return " ".join(exc.format_message().split())


def _polish(param) -> None:
    if getattr(param, "_polished", False):
        return
    param._polished = True
    if param.param_type_name == "argument":
        if param.metavar is None:
            param.metavar = PLACEHOLDERS.get(param.name, param.name.upper())
        return
    if getattr(param, "is_flag", False) and getattr(param, "is_bool_flag", True):
        param.metavar = ""  # typer shows the metavar instead of "<bool>"
    if param.help and param.default is None:
        text, default = prose_default(param.help)
        if default:
            param.help = f"{text} \\[default: {default}]"  # escaped: rich markup is on


class _OneFlagPerLine(typer.rich_utils.OptionHighlighter):
    """An option's names one per line (``--treatment-col`` above ``--arm-col``), not joined by
    commas into one long unbreakable word."""

    def __call__(self, text: Any) -> Any:
        if isinstance(text, str) and text.startswith("-") and "," in text:
            text = text.replace(",", "\n")
        return super().__call__(text)


class _NamesWhole(Table):
    """The options table with its name column never wrapped or cut (rich shrinks the widest
    columns first, and cut ``--value-per-conversion`` to ``--value-per-conv…`` at 80 columns);
    the help column takes what is left."""

    def add_row(self, *renderables: Any, **options: Any) -> None:
        super().add_row(*renderables, **options)
        for column, cell in zip(self.columns, renderables, strict=False):
            if isinstance(cell, Text) and cell.plain.startswith("--"):
                column.no_wrap = True


def _folding(make_rich_text: Any) -> Any:
    """typer's help text with a word too long for its column folded onto the next line
    (``days_since_last_event``), not cut with an ellipsis."""

    def make(*args: Any, **options: Any) -> Any:
        text = make_rich_text(*args, **options)
        if isinstance(text, Text):
            text.overflow = "fold"
        return text

    return make


def _one_name_column(print_options_panel: Any) -> Any:
    """typer's options panel with a flag pair's second name (``--monthfirst`` of
    ``--dayfirst/--monthfirst``) listed under the first: one name column, not a second column
    of mostly empty cells. Shown on copies: the parameters themselves parse as before."""

    def print_panel(*, params: list, **rest: Any) -> Any:
        shown = []
        for param in params:
            if getattr(param, "secondary_opts", None):
                param = copy.copy(param)
                param.opts, param.secondary_opts = [*param.opts, *param.secondary_opts], []
            shown.append(param)
        return print_options_panel(params=shown, **rest)

    return print_panel


def keep_option_names_whole() -> None:
    """Lay out typer's rich help so that no option name is cut (at 80 columns typer cut 18 of
    them, e.g. ``--allow-observat…``): one name per line in a column that is never shrunk.
    typer offers no setting for this, so its help module's table, highlighter and options
    panel are replaced here, once; where they are missing (another typer) help stays typer's."""
    rich_utils = typer.rich_utils
    needed = ("Table", "highlighter", "_print_options_panel", "_make_rich_text")
    if getattr(rich_utils, "_uplift_lab_names_whole", False) or not all(
        hasattr(rich_utils, name) for name in needed
    ):
        return
    rich_utils.Table = _NamesWhole
    rich_utils.highlighter = _OneFlagPerLine()
    rich_utils._print_options_panel = _one_name_column(rich_utils._print_options_panel)
    rich_utils._make_rich_text = _folding(rich_utils._make_rich_text)
    rich_utils._uplift_lab_names_whole = True


def polish_help(app: typer.Typer) -> None:
    """Give every registered command of ``app`` the polished help (call after registering)."""
    keep_option_names_whole()
    app.info.cls = PolishedGroup
    if app.registered_callback is not None:
        app.registered_callback.cls = PolishedGroup
    for info in app.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = PolishedCommand
