"""The campaign report opens with a summary per channel: totals with CIs and a verdict in words."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep

from uplift_lab import analyze
from uplift_lab.report import analyze_report


def _units(lift: float, n: int = 20_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = np.where(rng.random(n) < 0.2, "control", "sms")
    converted = (rng.random(n) < 0.05 + lift * (arm == "sms")).astype(float)
    revenue = converted * 50.0
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "segment": "all",
                         "arm": arm, "converted": converted, "revenue": revenue})  # fmt: skip


def _analysis(units: pd.DataFrame, **options) -> analyze.Analysis:
    return analyze.analyze_units(units, analyze.AnalysisOptions("control", **options), source="t")


def test_summary_totals_are_lift_times_treated_with_the_wald_interval() -> None:
    units = _units(0.02)
    summary = analyze_report.summary_section(_analysis(units))
    (row,) = summary.rows
    treated, control = units[units.arm == "sms"], units[units.arm == "control"]
    low, high = confint_proportions_2indep(
        treated.converted.sum(), len(treated), control.converted.sum(), len(control),
        method="wald", compare="diff",
    )  # fmt: skip
    lift = treated.converted.mean() - control.converted.mean()
    n = len(treated)
    assert row[0] == "sms" and row[1] == f"{n:,}"
    assert row[2] == f"{lift * n:+,.0f} [{low * n:+,.0f}, {high * n:+,.0f}]"


def test_the_verdict_reads_the_profit_interval() -> None:
    paid = analyze_report.summary_section(_analysis(_units(0.03), costs={"sms": 0.01}, margin=1.0))
    assert paid.rows[0][-1].startswith("sms paid off: its incremental profit")
    flat = analyze_report.summary_section(_analysis(_units(0.0, n=2000), costs={"sms": 0.01},
                                                    margin=0.3))  # fmt: skip
    assert "inconclusive" in flat.rows[0][-1] and "covers 0" in flat.rows[0][-1]
    lost = analyze_report.summary_section(_analysis(_units(0.0), costs={"sms": 5.0}, margin=0.3))
    assert lost.rows[0][-1].startswith("sms lost")


def test_the_html_report_opens_with_the_summary_before_the_segment_tables() -> None:
    analysis = _analysis(_units(0.02), costs={"sms": 0.05}, margin=0.3)
    html = analyze_report.render_html(analysis, {})
    summary = html.index("Summary: what each channel earned")
    assert summary < html.index("Conversion: sms vs control")
    assert "paid off" in html[summary : html.index("Conversion: sms vs control")]
    assert 'class="scroll"' in html  # wide tables scroll inside the page instead of overflowing
