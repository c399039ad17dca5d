"""Scores validated on a later randomized campaign: which columns, which arm, joined outcomes.

Pure steps over DataFrames behind ``evaluate --scores``: the scores file (``score``'s output)
joined with the campaign's arms and outcomes, the score columns of the compared arm, and the
0/1 check of the conversion column. :mod:`uplift_lab.workflows.evaluate` reads the files.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from uplift_lab.contracts import ids_as_text, require_columns
from uplift_lab.errors import literal, usage_error
from uplift_lab.uplift.data import check_rfm_parts, rfm_baseline_values
from uplift_lab.uplift.evaluate import ModelEvaluation, evaluate_scores

NO_SCORE_FIX = (  # a UsageError template (the CLI reads --out SCORES)
    "Score every customer of the campaign first: uplift-lab score MODEL CUSTOMERS {out=SCORES}"
)


def campaign_treated_arm(
    frame: pd.DataFrame, arm_col: str, control: str, treated: str | None
) -> str | None:
    """The treated label compared: ``treated``, else the only non-control label (or None)."""
    if treated is not None:
        return treated
    labels = set(frame[arm_col].dropna().astype(str)) - {control}
    return labels.pop() if len(labels) == 1 else None


def default_score_columns(columns: list[str], treated: str | None, source: object) -> list[str]:
    """The uplift columns ``score`` wrote for the compared arm ``treated``.

    A model with per-arm columns (``uplift_conversion_<arm>``) must have been trained for the
    campaign's treated arm; a score of another arm would be validated on the wrong message.
    """
    prefix = "uplift_conversion_"
    arms = sorted(name.removeprefix(prefix) for name in columns if name.startswith(prefix))
    if arms and treated not in arms:
        if treated is None:
            raise usage_error(
                source,
                f"has uplift columns for several arms ({literal(', '.join(arms))})",
                "Name the arm to evaluate with {treated}",
            )
        raise usage_error(
            source,
            f"has no scores for the campaign's treated arm '{literal(treated)}' (the model's"
            f" arms: {literal(', '.join(arms))})",
            "Pass {treated} with one of the model's arms, or {score_cols} to compare anyway",
        )
    plain = [name for name in ("uplift_conversion", "uplift_revenue") if name in columns]
    if arms == [treated] and plain:
        return plain  # one treated arm: score's plain columns are that arm's
    if arms:
        return [f"uplift_{target}_{treated}" for target in ("conversion", "revenue")
                if f"uplift_{target}_{treated}" in columns]  # fmt: skip
    plain = [name for name in ("uplift_conversion", "uplift_revenue") if name in columns]
    if plain:
        return plain
    raise usage_error(source, "has no uplift_* columns", "Pass the columns with {score_cols}")


def join_scores_and_outcomes(
    scores: pd.DataFrame,
    outcomes: pd.DataFrame,
    id_col: str,
    scores_source: object,
    outcomes_source: object,
) -> pd.DataFrame:
    """One row per campaign customer: its outcomes and its scores, joined on ``id_col``.

    Every customer of the campaign (``outcomes``) must have a score; scored customers who were
    not in the campaign are dropped. Ids are compared as text.
    """
    require_columns(scores, (id_col,), scores_source)
    require_columns(outcomes, (id_col,), outcomes_source)
    score_ids = ids_as_text(scores, id_col, scores_source, unique=True)
    outcome_ids = ids_as_text(outcomes, id_col, outcomes_source, unique=True)
    unscored = ~outcome_ids.isin(set(score_ids))
    if unscored.all():
        example = score_ids.iloc[0] if len(score_ids) else ""
        raise usage_error(
            outcomes_source,
            literal(
                f"no id in column '{id_col}' matches {scores_source} (e.g."
                f" '{outcome_ids.iloc[0]}' vs '{example}')"
            ),
            "Check that both files use the same customer ids; " + NO_SCORE_FIX,
        )
    if unscored.any():
        raise usage_error(
            outcomes_source,
            literal(
                f"{int(unscored.sum()):,} of {len(outcome_ids):,} customers have no score in "
                f"{scores_source} (e.g. '{outcome_ids[unscored].iloc[0]}')"
            ),
            NO_SCORE_FIX,
        )
    left = outcomes.assign(**{id_col: outcome_ids.to_numpy()})
    right = scores.assign(**{id_col: score_ids.to_numpy()})
    shared = [name for name in right.columns if name in left.columns and name != id_col]
    left = left.drop(columns=shared)  # a score file's column wins over the campaign file's
    return left.merge(right, on=id_col, how="left", validate="one_to_one")


def check_conversion_column(frame: pd.DataFrame, conversion_col: str, source: object) -> None:
    """Refuse a numeric conversion column that is not 0/1 (spend passed as conversion?)."""
    converted = frame[conversion_col]
    if not converted.isna().any() and pd.api.types.is_numeric_dtype(converted):
        if not converted.isin((0, 1)).all():
            raise usage_error(
                source,
                f"column '{literal(conversion_col)}' must be 0/1 (converted or not)",
                "Pass spend as {revenue_col} and a 0/1 column as {conversion_col}",
            )


def with_rfm_columns(
    frame: pd.DataFrame, rfm_cols: dict[str, str] | None, source: object
) -> pd.DataFrame:
    """``frame`` with the RFM-rule columns named by ``rfm_cols`` (unchanged without them)."""
    if not rfm_cols:
        return frame
    rfm = rfm_baseline_values(frame, check_rfm_parts(rfm_cols), source)
    frame = frame.drop(columns=[name for name in rfm.columns if name in frame.columns])
    return pd.concat([frame.reset_index(drop=True), rfm], axis=1)


def evaluate_on_campaign(
    frame: pd.DataFrame,
    score_cols: Sequence[str],
    *,
    arm_col: str,
    control: str,
    outcome_cols: Sequence[str],
    treated: str | None,
    n_splits: int,
    seed: int,
    source: object,
) -> list[ModelEvaluation]:
    """One evaluation per outcome of ``frame``'s scores against the baselines (random parts)."""
    return [
        evaluate_scores(
            frame,
            score_cols=list(score_cols),
            outcome_col=outcome,
            treatment_col=arm_col,
            control=control,
            treated=treated,
            n_splits=n_splits,
            response_col="p_control",
            seed=seed,
            source=source,
        )
        for outcome in outcome_cols
    ]
