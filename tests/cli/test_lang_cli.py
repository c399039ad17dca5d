"""`--lang zh` on every command that prints or writes a report: what it prints and the Markdown
and HTML it writes carry no English label that the label table has in Chinese, the Chinese ones
appear, and the machine outputs (JSON, Parquet) are byte for byte those of `--lang en`.

One Chinese demo (segment, analyze, train, evaluate, design, target and the demo's own tables)
runs once for the module; schedule, analyze --schedule / --by-hour and plan run on its shop.
Terminal output is read at 250 columns, so no header wraps and no column is left out.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from uplift_lab.cli import app
from uplift_lab.report.labels import Lang, label_table

WIDE = {"COLUMNS": "250"}
TRANSLATED = {english: chinese for english, chinese in label_table().items() if english != chinese}
ENGLISH_LABELS = {english for english in TRANSLATED if "{" not in english}
ENGLISH_TEMPLATES = [english for english in TRANSLATED if "{" in english]
RULE = re.compile(r"^[\s─━═]*[─━═]{3,}[\s─━═]*$")
MARKS = " †*"  # an unreadable segment's mark, a chosen model's star


def _cell_texts(line: str) -> list[str]:
    """The cells of a table line: between box bars, else between runs of 2+ spaces."""
    parts = re.split(r"[│┃|]", line) if re.search(r"[│┃|]", line) else re.split(r"\s{2,}", line)
    return [part.strip().strip(MARKS).strip() for part in parts if part.strip()]


def terminal_table_cells(output: str) -> list[str]:
    """Every header and row cell of the rich tables in ``output``, and each of their words.

    A table is the block of non-blank lines around a rule line (─ or ━): header above, rows
    below. Words are added too, because two text columns may be one space apart."""
    lines = output.splitlines()
    cells: list[str] = []
    for index, line in enumerate(lines):
        if not RULE.match(line):
            continue
        block = []
        up = index - 1
        while up >= 0 and lines[up].strip() and not RULE.match(lines[up]):
            block.append(lines[up])
            up -= 1
        down = index + 1
        while down < len(lines) and lines[down].strip() and not RULE.match(lines[down]):
            block.append(lines[down])
            down += 1
        for text in block:
            found = _cell_texts(text)
            cells += found
            cells += [word.strip(MARKS + ",:;()") for cell in found for word in cell.split()]
    return cells


def markdown_cells(markdown: str) -> list[str]:
    """Table cells and heading texts of a Markdown report."""
    out = []
    for line in markdown.splitlines():
        if line.startswith("#"):
            out.append(line.lstrip("#").strip().strip("*_"))
        elif line.startswith("|") and not set(line) <= set("|-: "):
            cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
            out += [cell.replace("\\|", "|").strip().strip(MARKS).strip() for cell in cells]
    return out


class _LabelledText(HTMLParser):
    """Text of the elements that are labels: title, headings, table cells, captions, <b>."""

    TAGS = {"title", "h1", "h2", "h3", "th", "td", "figcaption", "b"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.texts: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag in self.TAGS:
            self.open.append(tag)
            self.texts.append("")

    def handle_endtag(self, tag) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_data(self, data) -> None:
        if self.open:
            self.texts[-1] += data


def html_cells(html: str) -> tuple[list[str], str | None]:
    parser = _LabelledText()
    parser.feed(html)
    return [text.strip().strip(MARKS).strip().rstrip(":") for text in parser.texts], parser.lang


def english_labels_in(cells: list[str]) -> set[str]:
    return {cell for cell in cells if cell in ENGLISH_LABELS}


def _template_pattern(template: str) -> re.Pattern | None:
    """A regex for a filled English template, when its fixed text is long enough to be telling."""
    literal = re.split(r"\{[^}]*\}", template)
    if sum(len(part.strip()) for part in literal) < 12:
        return None
    return re.compile("[^\n]{1,200}?".join(re.escape(" ".join(part.split())) for part in literal))


TEMPLATE_PATTERNS = {
    template: pattern
    for template in ENGLISH_TEMPLATES
    if (pattern := _template_pattern(template)) is not None
}


def english_templates_in(text: str) -> set[str]:
    """The English templates filled somewhere in ``text`` (one line at a time)."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return {
        template
        for template, pattern in TEMPLATE_PATTERNS.items()
        if any(pattern.search(line) for line in lines)
    }


def run(argv: list[str]) -> str:
    result = CliRunner().invoke(app, argv, env=WIDE)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def demo_zh(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo_zh")
    argv = ["demo", "--customers", "2000", "--out", str(out / "work"),
            "--report", str(out / "report"), "--lang", "zh"]  # fmt: skip
    return out, run(argv)


@pytest.fixture(scope="module")
def shop(demo_zh) -> dict[str, Path]:
    out, _ = demo_zh
    work = out / "work"
    touches = out / "touches.toml"
    touches.write_text(
        '[[touch]]\nname = "preheat"\nchannel = "sms"\nday = 0\ntime = "10:00"\n'
        'segments = ["semi_active", "silent"]\n',
        encoding="utf-8",
    )
    return {
        "work": work,
        "orders": work / "shop" / "orders.csv",
        "past": work / "shop" / "past_sms",
        "segments": work / "segments.parquet",
        "touches": touches,
        "past_report": work / "reports" / "past_sms" / "report.json",
    }


def test_demo_zh_tables_carry_no_translated_english_label(demo_zh) -> None:
    _, output = demo_zh
    cells = terminal_table_cells(output)
    assert len(cells) > 500, "the parser found too few table cells to be reading the tables"
    assert english_labels_in(cells) == set()


def test_demo_zh_prints_no_translated_english_title_or_sentence(demo_zh) -> None:
    _, output = demo_zh
    assert english_templates_in(output) == set()


def test_demo_zh_prints_the_chinese_labels(demo_zh) -> None:
    _, output = demo_zh
    for label in ("潜客", "新客", "活跃", "半活跃", "沉默", "流失", "重要价值客户", "发送组",
                  "对照组", "响应率", "提升", "客单价", "ROI", "增量利润", "¥"):  # fmt: skip
        assert label in output, label


@pytest.mark.parametrize(
    "report",
    ["report", "work/reports/past_sms", "work/reports/model"],
    ids=["campaign", "past_campaign", "model"],
)
def test_demo_zh_markdown_and_html_reports_are_chinese(demo_zh, report: str) -> None:
    out, _ = demo_zh
    folder = out / report
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    html_texts, lang = html_cells((folder / "report.html").read_text(encoding="utf-8"))
    assert lang == "zh-CN"
    assert english_labels_in(markdown_cells(markdown)) == set()
    assert english_labels_in(html_texts) == set()
    assert english_templates_in(markdown) == set()
    assert english_templates_in(" ".join(html_texts)) == set()
    assert "发送组" in markdown and "发送组" in html_texts.__str__()


def test_analyze_report_zh_has_chinese_metrics_and_yen(demo_zh) -> None:
    out, _ = demo_zh
    markdown = (out / "work" / "reports" / "past_sms" / "report.md").read_text(encoding="utf-8")
    cells = markdown_cells(markdown)
    for label in ("响应率", "客单价", "人均收入", "增量利润", "ROI", "p值（Holm 校正）"):
        assert label in cells, label
    assert re.search(r"\| ¥[\d,]+\.\d\d \|", markdown)  # revenue of an arm, as money


def test_machine_outputs_are_the_same_bytes_in_english(demo_zh, shop, tmp_path) -> None:
    """report.json and the segment table stay canonical English: --lang changes no byte."""
    for lang in ("en", "zh"):
        run(["analyze", str(shop["past"]), "--outcomes", str(shop["orders"]),
             "--out", str(tmp_path / lang), "--lang", lang])  # fmt: skip
        run(["segment", str(shop["orders"]), "--as-of", "2026-10-20", "--thresholds", "fixed",
             "--out", str(tmp_path / f"{lang}.parquet"), "--lang", lang])  # fmt: skip
    en, zh = tmp_path / "en", tmp_path / "zh"
    assert (en / "report.json").read_bytes() == (zh / "report.json").read_bytes()
    assert (tmp_path / "en.parquet").read_bytes() == (tmp_path / "zh.parquet").read_bytes()
    assert (en / "report.md").read_text(encoding="utf-8") != (zh / "report.md").read_text(
        encoding="utf-8"
    )


def test_lang_en_prints_what_no_lang_prints(shop, tmp_path) -> None:
    argv = ["segment", str(shop["orders"]), "--as-of", "2026-10-20", "--thresholds", "fixed"]
    default = run([*argv, "--out", str(tmp_path / "a.parquet")])
    english = run([*argv, "--out", str(tmp_path / "b.parquet"), "--lang", "en"])
    assert english.replace("b.parquet", "a.parquet") == default
    assert "Lifecycle stages" in default and "潜客" not in default


def test_schedule_and_analyze_schedule_zh(shop, tmp_path) -> None:
    schedule = tmp_path / "sched"
    printed = run(["schedule", "--segments", str(shop["segments"]), "--touches",
                   str(shop["touches"]), "--experiment", str(shop["past"]), "--start",
                   "2026-08-21", "--out", str(schedule), "--lang", "zh"])  # fmt: skip
    printed += run(["analyze", str(shop["past"]), "--outcomes", str(shop["orders"]),
                    "--schedule", str(schedule), "--lang", "zh"])  # fmt: skip
    assert english_labels_in(terminal_table_cells(printed)) == set()
    assert english_templates_in(printed) == set()
    for label in ("触达", "发送时间", "半活跃, 沉默", "观察组", "响应率", "短信", "¥"):
        assert label in printed, label


def test_analyze_by_hour_zh(shop) -> None:
    printed = run(["analyze", str(shop["past"]), "--outcomes", str(shop["orders"]),
                   "--by-hour", "--lang", "zh"])  # fmt: skip
    assert english_labels_in(terminal_table_cells(printed)) == set()
    assert english_templates_in(printed) == set()
    assert "按小时的响应" in printed and "观察组" in printed


def test_plan_zh_terminal_markdown_and_html(shop, tmp_path) -> None:
    out = tmp_path / "plan"
    printed = run(["plan", str(shop["orders"]), "--promo", "2026-08-21:2026-09-03",
                   "--growth", "0.2", "--analysis", str(shop["past_report"]),
                   "--out", str(out), "--lang", "zh"])  # fmt: skip
    markdown = (out / "plan.md").read_text(encoding="utf-8")
    html_texts, lang = html_cells((out / "plan.html").read_text(encoding="utf-8"))
    assert lang == "zh-CN"
    for cells in (terminal_table_cells(printed), markdown_cells(markdown), html_texts):
        assert english_labels_in(cells) == set()
        for label in ("老客", "新客", "合计", "GMV 目标", "需触达"):
            assert label in cells, label
    assert english_templates_in(printed + markdown) == set()
    assert re.search(r"\| ¥[\d,]+ \|", markdown)


def test_import_campaign_zh(shop, tmp_path) -> None:
    campaign = shop["work"] / "shop" / "campaign.csv"
    printed = run(["import-campaign", str(campaign), "--control", "control", "--start",
                   "2026-08-21", "--strata-col", "lifecycle", "--expected", "control=0.1,send=0.9",
                   "--out", str(tmp_path / "imported"), "--lang", "zh"])  # fmt: skip
    assert english_labels_in(terminal_table_cells(printed)) == set()
    assert english_templates_in(printed) == set()
    for label in ("已导入", "分层", "对照组", "发送组", "半活跃", "设计比例"):
        assert label in printed, label


def test_a_chinese_demo_reports_beside_the_english_one_by_default() -> None:
    """`demo --lang zh` must not overwrite the committed English report in reports/demo."""
    from uplift_lab.cli.demo_cmd import default_report_folder

    assert default_report_folder(Lang.en) == Path("reports/demo")
    assert default_report_folder(Lang.zh) == Path("reports/demo-zh")
