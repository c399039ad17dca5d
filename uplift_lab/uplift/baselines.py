"""The targeting rules a model must beat: random, the RFM rule and purchase probability."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

RANDOM = "random"
RFM_RULE = "rfm_rule"
PURCHASE_PROBABILITY = "purchase_probability"
BASELINE_LABELS = {
    RANDOM: "baseline: random targeting",
    RFM_RULE: "baseline: RFM rule",
    PURCHASE_PROBABILITY: "baseline: purchase probability",
}
# Column names accepted for each RFM part, in order of preference; lower recency is better.
# "history" is past spend in the Hillstrom e-mail data set (no frequency column there).
RFM_PARTS = (("recency_days", "recency"), ("frequency", "n_orders"), ("monetary", "history"))
RECENCY_NAMES = RFM_PARTS[0]


# --------------------------------------------------------------------------- baselines


def _seeded_tiebreak(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random(n)


def _rank_score(primary: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Scores in (0, 1] ordering by ``primary`` then ``tiebreak``, with no ties left."""
    primary = np.where(np.isnan(primary), -np.inf, primary)  # missing values rank last
    order = np.lexsort((tiebreak, primary))
    score = np.empty(len(primary), dtype="float64")
    score[order] = np.arange(1, len(primary) + 1) / len(primary)
    return score


def rfm_rule_columns(frame: pd.DataFrame, *, rfm_col: str = "rfm_score") -> list[str]:
    """Columns the RFM rule uses: ``rfm_col``, else at least two of recency/frequency/monetary."""
    if rfm_col in frame.columns:
        return [rfm_col]
    found = [next((n for n in names if n in frame.columns), None) for names in RFM_PARTS]
    found = [name for name in found if name is not None]
    return found if len(found) >= 2 else []


def rfm_rule_score(frame: pd.DataFrame, *, rfm_col: str = "rfm_score") -> np.ndarray | None:
    """What teams do today: higher RFM total first.

    Uses ``rfm_col`` when present, else the sum of the percentile ranks of recency (fewer days
    first), frequency and monetary (those present, at least two). Missing values (e.g. no
    order yet) rank last. None when no RFM columns are available.
    """
    columns = rfm_rule_columns(frame, rfm_col=rfm_col)
    if not columns:
        return None
    if columns == [rfm_col]:
        return frame[rfm_col].to_numpy(dtype="float64")
    ranks = []
    for name in columns:
        values = frame[name].astype("float64")
        values = -values if name in RECENCY_NAMES else values
        ranks.append(values.rank(pct=True, na_option="top").to_numpy())
    return np.sum(ranks, axis=0)


def baseline_scores(
    frame: pd.DataFrame,
    *,
    rfm_col: str = "rfm_score",
    response_proba: Sequence[float] | None = None,
    seed: int,
) -> pd.DataFrame:
    """Scores of the targeting rules a model must beat, aligned with ``frame``'s rows.

    Columns: ``random`` (seeded), ``rfm_rule`` (when RFM columns exist: see
    :func:`rfm_rule_score`) and ``purchase_probability`` (when ``response_proba`` is given, e.g.
    a score file's ``p_control``). Coarse scores get a seeded random tie-break, as a team
    picking among equal RFM scores would, so top-k cuts never depend on file order.
    """
    n = len(frame)
    scores = {RANDOM: _rank_score(_seeded_tiebreak(n, seed), np.zeros(n))}
    rfm = rfm_rule_score(frame, rfm_col=rfm_col)
    if rfm is not None:
        scores[RFM_RULE] = _rank_score(rfm, _seeded_tiebreak(n, seed + 1))
    if response_proba is not None:
        proba = np.asarray(response_proba, dtype="float64")
        if proba.shape != (n,):
            raise ValueError(f"response_proba must have {n} values, got shape {proba.shape}")
        scores[PURCHASE_PROBABILITY] = _rank_score(proba, _seeded_tiebreak(n, seed + 2))
    return pd.DataFrame(scores, index=frame.index)
