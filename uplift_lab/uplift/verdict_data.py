"""A verdict as data: which of the verdicts a score gets and the numbers behind it.

:func:`uplift_lab.uplift.verdict.judge_usefulness` gives it; the English sentence is
:mod:`uplift_lab.uplift.verdict_text`'s, and the reports say the same data in the report's
language, as notices are (a code and its numbers, the words elsewhere).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

USEFUL, INCONCLUSIVE, NOT_USEFUL = "useful", "inconclusive", "not useful"
VERDICT_WORDS = {
    "useful": USEFUL,
    "inconclusive_test": INCONCLUSIVE,  # above random's Qini, but the one-sided test says p >= 5%
    "inconclusive_bins": INCONCLUSIVE,  # Qini above 0, but the top bin does not beat the bottom
    "not_useful": NOT_USEFUL,  # why: the reasons below
    "random_order": NOT_USEFUL,  # the random baseline itself
}
"""Each verdict code and its word."""

REASONS = ("bins_not_comparable", "qini_undefined", "bins_do_not_beat", "qini_not_above_0")
"""Why a score is "not useful", in the order they are said."""

NUMBERS = ("qini", "ci_low", "ci_high", "top", "bottom", "p_value", "detectable", "alpha", "power")
"""The verdict's numbers (NaN where there is none; None in JSON)."""
CI_OVER = ("bootstrap", "folds")  # what the Qini CI is over (None: no CI)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A verdict as data: its ``code`` (:data:`VERDICT_WORDS`) and the numbers behind it.

    ``numbers`` maps each of :data:`NUMBERS` to a float (NaN where there is none);
    ``reasons`` are the :data:`REASONS` of a "not useful" score; ``ci_over`` says what the
    Qini CI is over and ``replicates`` how many bootstrap replicates it took;
    ``percentage_points`` shows the bins' uplifts of a 0/1 outcome as "+1.23 pp".
    """

    code: str
    numbers: Mapping[str, float] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    ci_over: str | None = None
    replicates: int | None = None
    percentage_points: bool = False

    @property
    def word(self) -> str:
        """ "useful", "inconclusive" or "not useful"."""
        return VERDICT_WORDS[self.code]

    def number(self, name: str) -> float:
        """One of :data:`NUMBERS` (NaN when the verdict has none)."""
        value = self.numbers.get(name)
        return math.nan if value is None else float(value)

    def as_dict(self) -> dict:
        """The verdict as JSON-ready data (model.json's ``reason``); NaN is None."""
        params: dict = {name: _finite(self.number(name)) for name in NUMBERS}
        params["reasons"] = list(self.reasons)
        params["ci_over"] = self.ci_over
        params["replicates"] = self.replicates
        params["percentage_points"] = self.percentage_points
        return {"code": self.code, "params": params}

    @classmethod
    def from_dict(cls, data: Mapping) -> Verdict:
        """The verdict :meth:`as_dict` wrote (validated by uplift_lab.uplift.schema)."""
        params = data["params"]
        return cls(
            code=str(data["code"]),
            numbers={name: params.get(name) for name in NUMBERS},
            reasons=tuple(params.get("reasons") or ()),
            ci_over=params.get("ci_over"),
            replicates=params.get("replicates"),
            percentage_points=bool(params.get("percentage_points")),
        )


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else value
