"""Analysis on aggregates: cells from a pandas groupby give the per-customer results, and the
aggregated path's numbers match scipy/statsmodels formulas computed from the sums alone."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from tests.test_analyze import simulated_units
from uplift_lab import aggregates, analysis_results, analyze, io
from uplift_lab.cli._common import error_message
from uplift_lab.errors import InputError
from uplift_lab.report import notice_text
from uplift_lab.report.notice_text import render_notice
from uplift_lab.workflows import analyze as workflow

HILLSTROM_CONTROL = "No E-Mail"
HILLSTROM_COLUMNS = workflow.FlatColumns(
    arm="segment", conversion="conversion", revenue="spend", segment="zip_code"
)
TOLERANCE = 1e-9


def cells_by_groupby(
    frame: pd.DataFrame,
    segment: str | None,
    arm: str,
    converted: str,
    revenue: str,
    covariate: str | None = None,
) -> pd.DataFrame:
    """What `SELECT segment, arm, count(*), sum(...) ... GROUP BY segment, arm` returns."""
    data = frame.assign(
        _rr=frame[revenue] ** 2,
        **(
            {"_x": frame[covariate], "_xx": frame[covariate] ** 2,
             "_xr": frame[covariate] * frame[revenue]}
            if covariate else {}
        ),
    )  # fmt: skip
    moments = {
        "n": (converted, "size"),
        "conversions": (converted, "sum"),
        "revenue_sum": (revenue, "sum"),
        "revenue_sum_squares": ("_rr", "sum"),
    }
    if covariate:
        moments |= {
            "covariate_sum": ("_x", "sum"),
            "covariate_sum_squares": ("_xx", "sum"),
            "revenue_covariate_sum": ("_xr", "sum"),
        }
    keys = [segment, arm] if segment else [arm]
    return data.groupby(keys).agg(**moments).reset_index()


def close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=1e-12)


def assert_same_effect(a, b) -> None:
    for name in ("difference", "standard_error", "ci_low", "ci_high", "p_value",
                 "relative_lift", "relative_ci_low", "relative_ci_high"):  # fmt: skip
        assert close(getattr(a, name), getattr(b, name)), (name, a, b)
    assert a.error == b.error


def assert_same_analysis(flat: analyze.Analysis, cells: analyze.Analysis) -> None:
    assert (flat.arms, flat.segments) == (cells.arms, cells.segments)
    for s, t in zip(flat.arm_summaries, cells.arm_summaries, strict=True):
        assert (s.segment, s.arm, s.n, s.conversions) == (t.segment, t.arm, t.n, t.conversions)
        for name in ("conversion_rate", "revenue", "revenue_per_customer"):
            assert close(getattr(s, name), getattr(t, name)), (name, s, t)
    for a, b in zip(flat.comparisons, cells.comparisons, strict=True):
        assert (a.segment, a.arm, a.control_n, a.treated_n) == (
            b.segment, b.arm, b.control_n, b.treated_n)  # fmt: skip
        assert_same_effect(a.conversion, b.conversion)
        assert_same_effect(a.revenue, b.revenue)
        assert close(a.conversion_p_adjusted, b.conversion_p_adjusted)
        assert close(a.revenue_p_adjusted, b.revenue_p_adjusted)
        assert a.too_small_to_read == b.too_small_to_read
        assert (a.revenue_cuped is None) == (b.revenue_cuped is None)
        if a.revenue_cuped is not None:
            assert_same_effect(a.revenue_cuped.effect, b.revenue_cuped.effect)
    for a, b in zip(flat.overall, cells.overall, strict=True):
        for name in ("difference", "standard_error", "ci_low", "ci_high", "p_value"):
            assert close(getattr(a.conversion, name), getattr(b.conversion, name)), name
            assert close(getattr(a.revenue, name), getattr(b.revenue, name)), name
        for name in ("lift", "ci_low", "ci_high"):
            assert close(getattr(a.conversion_relative, name), getattr(b.conversion_relative, name))
            assert close(getattr(a.revenue_relative, name), getattr(b.revenue_relative, name))


def hillstrom_cells(path, tmp_path, covariate: str | None = None):
    data = pd.read_csv(path)
    cells = cells_by_groupby(data, "zip_code", "segment", "conversion", "spend", covariate)
    cells_path = tmp_path / "cells.csv"
    io.write_table(cells, cells_path)
    return data, cells, cells_path


def test_hillstrom_three_arms_per_zip_from_cells_equal_per_customer(
    hillstrom_path, tmp_path
) -> None:
    _, _, cells_path = hillstrom_cells(hillstrom_path, tmp_path)
    options = analyze.AnalysisOptions(control=HILLSTROM_CONTROL)
    flat = workflow.analyze_flat_file(hillstrom_path, HILLSTROM_COLUMNS, options)
    from_cells = workflow.analyze_cells_file(
        cells_path, options, arm_column="segment", segment_column="zip_code"
    )
    assert len(from_cells.comparisons) == 6  # 2 treated arms x 3 zip codes
    assert_same_analysis(flat, from_cells)


def test_hillstrom_cuped_from_cell_moments_equals_per_customer(hillstrom_path, tmp_path) -> None:
    _, _, cells_path = hillstrom_cells(hillstrom_path, tmp_path, covariate="history")
    options = analyze.AnalysisOptions(control=HILLSTROM_CONTROL, covariate_name="history")
    columns = replace(HILLSTROM_COLUMNS, covariate="history")
    flat = workflow.analyze_flat_file(hillstrom_path, columns, options)
    from_cells = workflow.analyze_cells_file(
        cells_path, options, arm_column="segment", segment_column="zip_code"
    )
    assert all(c.revenue_cuped is not None for c in from_cells.comparisons)
    assert_same_analysis(flat, from_cells)
    for a, b in zip(flat.overall, from_cells.overall, strict=True):
        assert close(a.cuped_variance_reduction, b.cuped_variance_reduction)


def test_hillstrom_welch_ci_from_sums_matches_scipy(hillstrom_path, tmp_path) -> None:
    data, cells, cells_path = hillstrom_cells(hillstrom_path, tmp_path)
    options = analyze.AnalysisOptions(control=HILLSTROM_CONTROL)
    result = workflow.analyze_cells_file(
        cells_path, options, arm_column="segment", segment_column="zip_code"
    )
    comparison = next(
        c for c in result.comparisons if c.segment == "Urban" and c.arm == "Womens E-Mail"
    )
    row = cells.set_index(["zip_code", "segment"])
    c, t = row.loc[("Urban", HILLSTROM_CONTROL)], row.loc[("Urban", "Womens E-Mail")]

    def mean_var(cell):
        mean = cell.revenue_sum / cell.n
        return mean, (cell.revenue_sum_squares - cell.n * mean**2) / (cell.n - 1)

    (mc, vc), (mt, vt) = mean_var(c), mean_var(t)
    # Welch's test from the summary statistics alone (scipy), and its CI by hand.
    welch = sps.ttest_ind_from_stats(
        mt, math.sqrt(vt), t.n, mc, math.sqrt(vc), c.n, equal_var=False
    )
    se_c, se_t = vc / c.n, vt / t.n
    dof = (se_c + se_t) ** 2 / (se_c**2 / (c.n - 1) + se_t**2 / (t.n - 1))
    half = sps.t.ppf(0.975, dof) * math.sqrt(se_c + se_t)
    assert comparison.revenue.p_value == pytest.approx(welch.pvalue, rel=TOLERANCE)
    assert comparison.revenue.ci_low == pytest.approx(mt - mc - half, rel=TOLERANCE)
    assert comparison.revenue.ci_high == pytest.approx(mt - mc + half, rel=TOLERANCE)
    # The same CI from the customers' rows (scipy >= 1.11 gives it on the result).
    urban = data[data["zip_code"] == "Urban"]
    rows = sps.ttest_ind(
        urban.loc[urban["segment"] == "Womens E-Mail", "spend"],
        urban.loc[urban["segment"] == HILLSTROM_CONTROL, "spend"],
        equal_var=False,
    )
    low, high = rows.confidence_interval(0.95)
    assert (comparison.revenue.ci_low, comparison.revenue.ci_high) == pytest.approx(
        (low, high), rel=1e-9
    )
    # Conversion: statsmodels from the counts.
    counts, nobs = [t.conversions, c.conversions], [t.n, c.n]
    _, p = proportions_ztest(counts, nobs)
    low, high = confint_proportions_2indep(counts[0], nobs[0], counts[1], nobs[1], method="newcomb")
    assert comparison.conversion.p_value == pytest.approx(p, rel=1e-9)
    assert (comparison.conversion.ci_low, comparison.conversion.ci_high) == pytest.approx(
        (low, high), rel=1e-9
    )


def test_synthetic_cells_with_orders_and_covariate_equal_per_customer() -> None:
    units = simulated_units(seed=5, sizes={"silent": 2000, "active": 1500})
    rng = np.random.default_rng(6)
    units["covariate"] = units["revenue"] * 0.5 + rng.lognormal(3.0, 1.0, len(units))
    units["orders"] = (units["converted"] * rng.integers(1, 4, len(units))).astype("int64")
    options = analyze.AnalysisOptions(control="control", covariate_name="covariate")
    per_customer = analyze.analyze_units(units, options, source="units")
    grouped = cells_by_groupby(units, "segment", "arm", "converted", "revenue", "covariate")
    orders = units.groupby(["segment", "arm"])["orders"].sum().to_numpy()
    cells = {
        (row.segment, row.arm): analyze.CellStats(
            int(row.n),
            float(row.conversions),
            row.revenue_sum,
            row.revenue_sum_squares,
            orders=float(orders[i]),
            covariate_sum=row.covariate_sum,
            covariate_sum_squares=row.covariate_sum_squares,
            revenue_covariate_sum=row.revenue_covariate_sum,
        )  # fmt: skip
        for i, row in enumerate(grouped.itertuples())
    }
    from_cells = analyze.analyze_cells(cells, options, source="cells")
    assert_same_analysis(per_customer, from_cells)
    for s, t in zip(per_customer.arm_summaries, from_cells.arm_summaries, strict=True):
        assert close(s.average_order_value, t.average_order_value)


def test_cells_pool_with_add_into_the_segment_free_analysis() -> None:
    units = simulated_units(seed=7)
    cells = analyze.cells_from_units(units)
    pooled = {
        (analyze.ALL_SEGMENTS, arm): sum(
            (cell for (_, a), cell in cells.items() if a == arm), analyze.CellStats(0, 0.0)
        )
        for arm in ("control", "send")
    }
    options = analyze.AnalysisOptions(control="control")
    one_segment = analyze.analyze_units(units.assign(segment="all"), options, source="units")
    assert_same_analysis(one_segment, analyze.analyze_cells(pooled, options, source="cells"))


def test_aggregates_say_which_row_only_steps_were_skipped() -> None:
    cells = analyze.cells_from_units(simulated_units(seed=8))
    result = analyze.analyze_cells(cells, analyze.AnalysisOptions(control="control"), source="x")
    assert any(render_notice(n) == notice_text.ROWS_NEEDED for n in result.notices)
    assert result.daily is None and result.cap_threshold is None


def test_revenue_cap_on_aggregates_is_an_input_error_naming_the_parameter() -> None:
    cells = analyze.cells_from_units(simulated_units(seed=9))
    options = analyze.AnalysisOptions(control="control", cap_quantile=0.99)
    with pytest.raises(InputError, match="'cap_quantile' needs one row per customer") as raised:
        analyze.analyze_cells(cells, options, source="x")
    assert error_message(raised.value).startswith("--cap-revenue needs one row per customer")


def test_conversion_only_cells_analyse_conversion() -> None:
    frame = pd.DataFrame({"arm": ["control", "send"], "n": [1000, 9000], "conversions": [50, 600]})
    cells, has_revenue = aggregates.cells_from_table(frame, "cells.csv", arm_column="arm")
    assert not has_revenue
    options = analyze.AnalysisOptions(control="control")
    result = analyze.analyze_cells(cells, options, source="x", has_revenue=False)
    _, p = proportions_ztest([600, 50], [9000, 1000])
    assert result.comparisons[0].conversion.p_value == pytest.approx(p, rel=1e-9)
    assert result.comparisons[0].revenue.error == analysis_results.NO_REVENUE
    assert any(render_notice(n) == notice_text.ROWS_NEEDED_CONVERSION_ONLY for n in result.notices)


def test_revenue_covariate_sum_beyond_cauchy_schwarz_is_refused() -> None:
    frame = pd.DataFrame(
        {"arm": ["control", "send"], "n": [10, 10], "conversions": [2, 3],
         "revenue_sum": [20.0, 30.0], "revenue_sum_squares": [400.0, 500.0],
         "covariate_sum": [5.0, 5.0], "covariate_sum_squares": [10.0, 10.0],
         "revenue_covariate_sum": [10.0, 1000.0]}
    )  # fmt: skip
    with pytest.raises(InputError, match="'revenue_covariate_sum' is inconsistent in data row 2"):
        aggregates.cells_from_table(frame, "cells.csv", arm_column="arm", covariate=True)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.tuples(st.booleans(), st.floats(0, 500), st.floats(-50, 50)), min_size=2, max_size=40
    ),
    cut=st.integers(0, 40),
)
def test_cells_of_two_parts_add_up_to_the_cells_of_the_whole(values, cut) -> None:
    units = pd.DataFrame(values, columns=["converted", "revenue", "covariate"]).assign(
        segment="all", arm="send", converted=lambda f: f["converted"].astype(float)
    )
    cut = min(cut, len(units) - 1) or 1
    key = ("all", "send")
    whole = analyze.cells_from_units(units)[key]
    parts = analyze.cells_from_units(units.iloc[:cut])[key]
    parts = parts + analyze.cells_from_units(units.iloc[cut:])[key]
    assert whole.n == parts.n and whole.conversions == parts.conversions
    for name in ("revenue_sum", "revenue_sum_squares", "covariate_sum", "covariate_sum_squares",
                 "revenue_covariate_sum"):  # fmt: skip
        assert getattr(whole, name) == pytest.approx(getattr(parts, name), rel=1e-9, abs=1e-6)
