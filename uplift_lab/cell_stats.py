"""One segment x arm cell's sufficient statistics: everything the analysis needs of its
customers, whether they come from per-customer rows (:func:`uplift_lab.analyze.cells_from_units`),
a warehouse ``GROUP BY`` (:mod:`uplift_lab.aggregates`) or Spark (:mod:`uplift_lab.cells_sql`).
"""

from __future__ import annotations

from dataclasses import dataclass

from uplift_lab import stats

Cell = tuple[str, str]  # (segment, arm)


@dataclass(frozen=True, slots=True)
class CellStats:
    """Sufficient statistics of one segment x arm cell: all the analysis needs of its customers.

    ``n`` customers, ``conversions`` (sum of the 0/1 outcome), ``revenue_sum`` and
    ``revenue_sum_squares`` (of revenue per customer), optionally ``orders`` (for the average
    order value; None: one order per conversion) and, for CUPED of revenue on a pre-period
    covariate x, ``covariate_sum`` (sum x), ``covariate_sum_squares`` (sum x^2) and
    ``revenue_covariate_sum`` (sum x * revenue). CUPED adjusts revenue only, so no
    conversion x covariate moment is needed. Cells pool with ``+`` (gbstats' design).
    """

    n: int
    conversions: float
    revenue_sum: float = 0.0
    revenue_sum_squares: float = 0.0
    orders: float | None = None
    covariate_sum: float | None = None
    covariate_sum_squares: float | None = None
    revenue_covariate_sum: float | None = None

    def __add__(self, other: CellStats) -> CellStats:
        def add(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else a + b

        return CellStats(
            self.n + other.n,
            self.conversions + other.conversions,
            self.revenue_sum + other.revenue_sum,
            self.revenue_sum_squares + other.revenue_sum_squares,
            add(self.orders, other.orders),
            add(self.covariate_sum, other.covariate_sum),
            add(self.covariate_sum_squares, other.covariate_sum_squares),
            add(self.revenue_covariate_sum, other.revenue_covariate_sum),
        )

    @property
    def has_covariate(self) -> bool:
        return None not in (
            self.covariate_sum,
            self.covariate_sum_squares,
            self.revenue_covariate_sum,
        )

    @property
    def conversion(self) -> stats.SampleStats:
        """The 0/1 outcome's statistics (its sum of squares is its sum)."""
        return stats.SampleStats(self.n, self.conversions, self.conversions)

    @property
    def revenue(self) -> stats.SampleStats:
        return stats.SampleStats(self.n, self.revenue_sum, self.revenue_sum_squares)

    @property
    def paired(self) -> stats.PairedSampleStats:
        """(covariate, revenue) statistics for CUPED; raises without the covariate moments."""
        if not self.has_covariate:
            raise ValueError("CellStats has no covariate moments")
        return stats.PairedSampleStats(
            self.n,
            self.covariate_sum,
            self.revenue_sum,
            self.covariate_sum_squares,
            self.revenue_sum_squares,
            self.revenue_covariate_sum,
        )
