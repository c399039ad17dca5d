"""Campaign analysis: per-customer rows or per-cell sufficient statistics -> per-segment effects,
money, SRM and warnings.

Pure steps over validated DataFrames (no file I/O, no printing). The statistics come from
:mod:`uplift_lab.stats`; this module aggregates customers into sufficient statistics per
(segment, arm) (:class:`CellStats`), and one core, :func:`analyze_cells`, compares each treated
arm with the control per segment and overall, and says in words what a reader must not miss (a
broken split, an unreadable holdout, a few whales: :mod:`uplift_lab.analysis_notices`). The core
also takes cells straight from a warehouse (:mod:`uplift_lab.aggregates`). The files are read by
:mod:`uplift_lab.workflows.analyze`.
Customers are analysed by assigned arm (intent to treat), never by delivery.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from uplift_lab import cells_sql, stats
from uplift_lab.analysis_inputs import ALL_SEGMENTS
from uplift_lab.analysis_notices import (
    intent_to_treat_notice,
    no_conversion_notice,
    rows_needed_notice,
    srm_notices,
    srm_unknown_notice,
    unadjusted_notice,
    unreadable_notice,
    whale_notice,
    where_compared_notice,
)
from uplift_lab.analysis_results import (
    Analysis,
    AnalysisOptions,
    ArmSummary,
    Comparison,
    SegmentSrm,
)
from uplift_lab.cell_stats import Cell, CellStats
from uplift_lab.contracts import ARM, CUSTOMER_ID
from uplift_lab.effects import (
    CellMoments,
    adjusted_comparisons,
    overall_effect,
    segment_effects,
    with_money,
)
from uplift_lab.errors import UsageError, literal
from uplift_lab.notices import Notice, by_level
from uplift_lab.outcomes import REVENUE, SEGMENT

WHALE_TOP_FRACTION = 0.01


@dataclass(frozen=True, slots=True)
class _Cells:
    """Every customer's (segment, arm) cell as one integer code, for fast aggregation."""

    codes: np.ndarray
    labels: tuple[Cell, ...]

    @classmethod
    def of(cls, units: pd.DataFrame) -> _Cells:
        segment_codes, segments = pd.factorize(units[SEGMENT], sort=True)
        arm_codes, arms = pd.factorize(units[ARM], sort=True)
        codes = segment_codes.astype("int64") * len(arms) + arm_codes
        return cls(codes, tuple((str(s), str(a)) for s in segments for a in arms))

    def sums(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.codes, weights=values, minlength=len(self.labels))

    def sample_stats(self, values: np.ndarray) -> dict[Cell, stats.SampleStats]:
        """Sufficient statistics of ``values`` per non-empty cell."""
        values = np.asarray(values, dtype="float64")
        n = np.bincount(self.codes, minlength=len(self.labels))
        total, squares = self.sums(values), self.sums(values * values)
        return {
            cell: stats.SampleStats(int(n[i]), float(total[i]), float(squares[i]))
            for i, cell in enumerate(self.labels)
            if n[i]
        }


@dataclass(frozen=True, slots=True)
class RowFacts:
    """What only one row per customer can tell: the revenue cap and the capped revenue per cell,
    the top buyers' share of revenue, and the daily response curve. The aggregated path has none."""

    cap_threshold: float | None = None
    capped: Mapping[Cell, stats.SampleStats] | None = None
    whale_share: float = math.nan
    daily: pd.DataFrame | None = None


def cells_from_units(units: pd.DataFrame) -> dict[Cell, CellStats]:
    """Per (segment, arm) sufficient statistics of a per-customer table (as analyze_units reads).

    Computed by :mod:`uplift_lab.cells_sql`, the query ``analyze --engine spark`` runs too."""
    measures = [c for c in cells_sql.UNIT_COLUMNS if c in units.columns]
    table = pa.table(
        {
            SEGMENT: pa.array(units[SEGMENT].astype(str), pa.string()),
            ARM: pa.array(units[ARM].astype(str), pa.string()),
            # from numpy, not pandas: a NaN stays NaN (a pandas NaN would become NULL)
            **{c: pa.array(units[c].to_numpy(dtype="float64")) for c in measures},
        }
    )
    return cells_sql.cells_on_duckdb(table)


def analyze_units(
    units: pd.DataFrame,
    options: AnalysisOptions,
    *,
    source: str,
    data_notes: Mapping[str, object] | None = None,
    daily: pd.DataFrame | None = None,
    window_days: int | None = None,
    extra_notices: Sequence[Notice] = (),
) -> Analysis:
    """Analyse one row per customer: ``segment``, ``arm``, ``converted`` (0/1), optional
    ``revenue`` (absent for a conversion-only campaign), ``orders`` and ``covariate``
    (pre-period value for CUPED of revenue).

    The rows are reduced to per-cell sufficient statistics (:func:`cells_from_units`) and
    analysed by :func:`analyze_cells`, with what only rows give (revenue cap, whale share,
    daily curve) computed here.
    """
    has_revenue = REVENUE in units.columns
    if not has_revenue:
        for given, name in ((options.cap_quantile, "cap_quantile"), (options.covariate_name,
                            "covariate_name")):  # fmt: skip
            if given is not None:
                raise UsageError(
                    f"{{{name}}} needs a revenue column, and {literal(source)} has none (a "
                    "conversion-only campaign). Pass {revenue_col=COLUMN}, "
                    f"or leave out {{{name}}}"
                )
        units = units.assign(**{REVENUE: 0.0})
    revenue_values = units[REVENUE].to_numpy(dtype="float64")
    cap_threshold = capped = None
    if options.cap_quantile is not None:
        cap_threshold = stats.pooled_quantile_cap([revenue_values], options.cap_quantile)
        capped = _Cells.of(units).sample_stats(np.minimum(revenue_values, cap_threshold))
    arms = _arm_order(sorted(units[ARM].astype(str).unique()), options)
    facts = RowFacts(
        cap_threshold=cap_threshold,
        capped=capped,
        whale_share=stats.top_share(revenue_values, WHALE_TOP_FRACTION),
        daily=_cumulative_daily(units, daily, arms, window_days or 1)
        if daily is not None
        else None,
    )
    return analyze_cells(
        cells_from_units(units),
        options,
        source=source,
        has_revenue=has_revenue,
        rows=facts,
        data_notes=data_notes,
        extra_notices=extra_notices,
    )


def _arm_order(arms_all: Sequence[str], options: AnalysisOptions) -> tuple[str, ...]:
    """The control first, then the treated arms (options.arm_order first, then by name)."""
    control = options.control
    rank = {arm: index for index, arm in enumerate(options.arm_order)}
    treated = sorted(
        (a for a in arms_all if a != control), key=lambda a: (rank.get(a, len(rank)), a)
    )
    return (control, *treated)


def analyze_cells(
    cells: Mapping[Cell, CellStats],
    options: AnalysisOptions,
    *,
    source: str,
    has_revenue: bool = True,
    rows: RowFacts | None = None,
    data_notes: Mapping[str, object] | None = None,
    extra_notices: Sequence[Notice] = (),
) -> Analysis:
    """Analyse per (segment, arm) sufficient statistics: the one analysis of uplift-lab.

    Parameters
    ----------
    cells
        ``{(segment, arm): CellStats}``; a segment-less experiment has the one segment ``all``.
        CUPED of revenue runs when the cells carry the covariate moments (all of them or none).
    options
        Control label, CI/adjustment methods, money assumptions, designed fractions.
    source
        Where the data came from, for messages and the report.
    has_revenue
        False for a conversion-only campaign (revenue effects carry ``NO_REVENUE``).
    rows
        What the per-customer path adds (cap, whale share, daily curve); None for aggregates,
        which get a note saying what was skipped (``options.cap_quantile`` then raises).

    Per segment and treated arm: conversion (difference of proportions, z-test) and revenue per
    customer (Welch), relative lifts (delta method), p-values adjusted across all segment x arm
    comparisons; overall: the size-weighted stratified effect; SRM against the designed fractions.
    """
    cells = {cell: c for cell, c in cells.items() if c.n > 0}
    arms = _arm_order(sorted({arm for _, arm in cells}), options)
    treated = arms[1:]
    segments = tuple(sorted({segment for segment, _ in cells}))
    _check_money_arms(options, treated)
    notices: list[Notice] = list(extra_notices)
    if rows is None:
        if options.cap_quantile is not None:
            raise UsageError(
                f"{{cap_quantile}} needs one row per customer (a pooled quantile), and "
                f"{literal(source)} holds aggregated cells. "
                "Leave out {cap_quantile}, or analyse the per-customer table"
            )
        notices.append(rows_needed_notice(has_revenue))
    rows = rows or RowFacts()
    moments = _moments(cells, rows.capped)
    effects, absent = segment_effects(moments, options, segments, treated, has_revenue)
    if absent:
        compared = [(effect.segment, effect.arm) for effect in effects]
        notices.append(where_compared_notice(compared, treated, segments))
    comparisons = adjusted_comparisons(effects, moments.conversion, options)
    money = with_money(options)
    overall = [
        overall_effect(
            arm, [c for c in comparisons if c.arm == arm], options, money, moments, has_revenue
        )  # fmt: skip
        for arm in treated
    ]
    srm: list[SegmentSrm] = []
    if options.expected_fractions:
        srm = _srm(moments.conversion, segments, options.expected_fractions)
        notices.extend(srm_notices(srm))
    else:
        notices.append(srm_unknown_notice(arms))
    notices.extend(_reading_notices(cells, comparisons, moments, options, treated, rows,
                                    has_revenue))  # fmt: skip
    return Analysis(
        source=source,
        control=options.control,
        arms=arms,
        treated_arms=treated,
        segments=segments,
        options=options,
        arm_summaries=tuple(_summaries(cells, segments, arms)),
        comparisons=tuple(comparisons),
        overall=tuple(overall),
        srm=tuple(srm),
        notices=by_level(notices),
        cap_threshold=rows.cap_threshold,
        data_notes=dict(data_notes or {}),
        daily=rows.daily,
        has_revenue=has_revenue,
    )


def _check_money_arms(options: AnalysisOptions, treated: Sequence[str]) -> None:
    """``costs`` and ``coupons`` name treated arms (or ``*``, every treated arm)."""
    for name, given, example in (
        ("costs", options.costs, "0.05"),
        ("coupons", options.coupons, "5"),
    ):
        unknown = sorted(set(given) - {*treated, "*"})
        if unknown:
            raise UsageError(
                f"{{{name}}}: '{literal(unknown[0])}' is not a treated arm (treated arms: "
                f"{literal(', '.join(treated))}). "
                f"Use e.g. {{{name}='{literal(treated[0])}={example}'}}"
            )


def _moments(
    cells: Mapping[Cell, CellStats], capped: Mapping[Cell, stats.SampleStats] | None
) -> CellMoments:
    """The statistics each effect needs, cell by cell (CUPED pairs when covariates are given)."""
    paired = None
    with_covariate = [c.has_covariate for c in cells.values()]
    if any(with_covariate):  # CUPED of revenue
        if not all(with_covariate):
            raise ValueError("either every cell or none has the covariate moments")
        paired = {cell: c.paired for cell, c in cells.items()}
    return CellMoments(
        conversion={cell: c.conversion for cell, c in cells.items()},
        revenue={cell: c.revenue for cell, c in cells.items()},
        capped=capped,
        paired=paired,
    )


def _reading_notices(
    cells: Mapping[Cell, CellStats],
    comparisons: Sequence[Comparison],
    moments: CellMoments,
    options: AnalysisOptions,
    treated: Sequence[str],
    rows: RowFacts,
    has_revenue: bool,
) -> list[Notice]:
    """What limits the reading: unreadable holdouts, no conversion at all, a few whales,
    unadjusted p-values; and, always last, the intent-to-treat note."""
    notices = [unreadable_notice(comparisons, moments.conversion, options.control, treated)]
    if sum(c.conversions for c in cells.values()) == 0:
        notices.append(no_conversion_notice())
    if has_revenue:
        notices.append(whale_notice(rows.whale_share))
    if options.adjust == "none" and len(comparisons) > 1:
        notices.append(unadjusted_notice(len(comparisons)))
    notices.append(intent_to_treat_notice())
    return [notice for notice in notices if notice is not None]


def _summaries(
    cells: Mapping[Cell, CellStats], segments: Sequence[str], arms: Sequence[str]
) -> list[ArmSummary]:
    """Size, conversions and revenue per segment and arm, then pooled over segments ("all")."""
    rows = []
    empty = CellStats(0, 0.0)
    # A table without segments has the one segment "all": its rows are the pooled rows already.
    listed = [segment for segment in segments if segment != ALL_SEGMENTS]
    for segment in [*listed, ALL_SEGMENTS]:
        for arm in arms:
            if segment == ALL_SEGMENTS:
                present = [cells[s, arm] for s in segments if (s, arm) in cells]
                cell = sum(present, CellStats(0, 0.0, orders=0.0))
            else:
                cell = cells.get((segment, arm), empty)
            c, r = cell.conversion, cell.revenue
            n_orders = c.sum if cell.orders is None else cell.orders
            rows.append(
                ArmSummary(
                    segment=segment,
                    arm=arm,
                    n=c.n,
                    conversions=int(round(c.sum)),
                    conversion_rate=c.mean,
                    revenue=r.sum,
                    revenue_per_customer=r.mean,
                    average_order_value=r.sum / n_orders if n_orders > 0 else math.nan,
                )
            )
    return rows


def _srm(
    conv: Mapping[Cell, stats.SampleStats],
    segments: Sequence[str],
    expected: Mapping[str, Mapping[str, float]],
) -> list[SegmentSrm]:
    """The sample-ratio check per segment with designed fractions, and over all of them."""
    counts = {cell: sample.n for cell, sample in conv.items()}
    results = []
    total_observed: dict[str, int] = {}
    total_expected: dict[str, float] = {}
    for segment in segments:
        fractions = expected.get(segment, expected.get(ALL_SEGMENTS))
        observed = {arm: n for (seg, arm), n in counts.items() if seg == segment}
        if fractions is None:
            continue
        result = stats.sample_ratio_mismatch(observed, fractions)
        results.append(SegmentSrm(segment, result))
        size = sum(observed.values())
        total = sum(fractions.values())
        for arm, n in observed.items():
            total_observed[arm] = total_observed.get(arm, 0) + n
        for arm, fraction in fractions.items():
            total_expected[arm] = total_expected.get(arm, 0.0) + size * fraction / total
    if len(results) > 1:
        results.append(
            SegmentSrm(ALL_SEGMENTS, stats.sample_ratio_mismatch(total_observed, total_expected))
        )
    return results


def _cumulative_daily(
    units: pd.DataFrame, daily: pd.DataFrame, arms: Sequence[str], days: int
) -> pd.DataFrame:
    """Cumulative conversion rate per arm by day of the window (first orders only)."""
    first = units[[CUSTOMER_ID, ARM]].merge(daily, on=CUSTOMER_ID, how="inner")
    sizes = units.groupby(ARM).size()
    rows = []
    for arm in arms:
        counts = np.bincount(first.loc[first[ARM] == arm, "day"].to_numpy(int), minlength=days)
        cumulative = np.cumsum(counts[:days]) / max(int(sizes.get(arm, 0)), 1)
        rows.extend(
            {ARM: arm, "day": day, "cumulative_conversion_rate": float(rate)}
            for day, rate in enumerate(cumulative)
        )
    return pd.DataFrame(rows)
