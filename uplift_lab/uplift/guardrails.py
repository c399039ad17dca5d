"""Is the chosen model worth targeting with? evaluate's verdict, computed once at train time.

``train`` stores, per treated arm and outcome, the verdict ``evaluate`` gives the chosen model on
the cross-validation predictions (same function, same seed, so the words match), and whether it
beats the RFM rule. ``target`` reads them to drop the channels whose model is "not useful" (its
held-out Qini is not above random's) and keeps, with a notice, those that are "inconclusive"
(above random's but not shown to be by the one-sided test): no evidence is not evidence of harm,
and their calibrated predictions already shrink toward the measured average effect.

The verdict ``target`` relies on is that of the ranking it spends on: the revenue model's,
except where the revenue score is the conversion score times one constant (``conv-value``),
whose ranking is the conversion ranking: it is then judged on the 0/1 outcome, whose Qini is
far less noisy than that of heavy-tailed revenue (same hypothesis, more power).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from uplift_lab.notices import Notice
from uplift_lab.uplift.baselines import RANDOM, RFM_RULE
from uplift_lab.uplift.evaluate import evaluate_held_out
from uplift_lab.uplift.verdict import NOT_USEFUL

VERDICTS_KEY = "verdicts"
# Revenue learners whose ranking is the chosen conversion learner's (a constant order value).
RANKS_AS_CONVERSION = ("conv-value",)


def chosen_model_verdicts(
    cv_metrics: Mapping, cv_predictions: pd.DataFrame, *, id_col: str, arms, control: str, seed=0
) -> dict[str, dict[str, dict]]:
    """``{arm: {outcome: {"verdict", "text", "qini", "beats_rfm", ...}}}`` of the chosen models.

    ``verdict`` is evaluate's word ("useful", "inconclusive", "not useful") and ``text`` its
    sentence; ``rfm_difference`` is the chosen model's pooled Qini minus the RFM rule's, with its
    paired customer-bootstrap CI (None without RFM columns).
    """
    chosen_columns = {
        f"uplift_{target}__{kind}"
        for choice in cv_metrics["choice"].values()
        for target, kind in choice.items()
        if kind
    }
    keep = [
        name
        for name in cv_predictions.columns
        if not name.startswith("uplift_") or name in (chosen_columns)
    ]
    description = {"cv_metrics": cv_metrics, "id_col": id_col, "arms": list(arms)}
    description["control"] = control
    out: dict[str, dict[str, dict]] = {}
    for arm, target, evaluation in evaluate_held_out(
        cv_predictions[keep], description, seed=seed, source="cv_predictions"
    ):
        name = f"uplift_{target}__{cv_metrics['choice'][arm][target]}"
        item = evaluation.score(name)
        entry: dict = {
            "verdict": item.verdict_word,
            "text": item.verdict,
            "qini": float(item.pooled.qini_coefficient),
            "random_qini": float(evaluation.score(RANDOM).pooled.qini_coefficient),
            "rfm_qini": None,
            "rfm_difference": None,
            "beats_rfm": None,
        }
        if target == "revenue" and cv_metrics["choice"][arm][target] in RANKS_AS_CONVERSION:
            entry["ranks_as"] = "conversion"
        if any(score.name == RFM_RULE for score in evaluation.scores):
            estimate, low, high = evaluation.bootstrap_difference(name, RFM_RULE)
            entry["rfm_qini"] = float(evaluation.score(RFM_RULE).pooled.qini_coefficient)
            entry["rfm_difference"] = {"estimate": float(estimate), "ci_low": float(low)}
            entry["rfm_difference"]["ci_high"] = float(high)
            entry["beats_rfm"] = bool(math.isfinite(low) and low > 0)
        out.setdefault(str(arm), {})[target] = entry
    return out


def verdict_notices(verdicts: Mapping[str, Mapping[str, Mapping]], control: str) -> list[Notice]:
    """What the end of ``train`` says (put in words by uplift_lab.report.notice_text): where
    the chosen model does not beat random targeting or the RFM rule."""
    notices = []
    for arm, outcomes in verdicts.items():
        for target, entry in outcomes.items():
            where = {"arm": arm, "control": control, "outcome": target}
            if entry["verdict"] == NOT_USEFUL:
                params = {**where, "verdict": entry["text"]}
                notices.append(Notice("warning", "model_not_useful", params))
            elif entry["verdict"] != "useful":
                params = {**where, "verdict": entry["verdict"]}
                notices.append(Notice("note", "model_not_shown_useful", params))
            difference = entry.get("rfm_difference")
            if entry.get("beats_rfm") is False and difference:
                params = {**where, **difference}
                notices.append(Notice("warning", "model_not_beating_rfm", params))
    return notices


def target_outcome(verdicts: Mapping[str, Mapping[str, Mapping]], arm: str) -> Mapping | None:
    """The verdict ``target`` relies on for ``arm``: revenue when modelled, else conversion;
    conversion also when the revenue score ranks as the conversion score (``ranks_as``)."""
    outcomes = verdicts.get(arm)
    if not outcomes:
        return None
    revenue = outcomes.get("revenue")
    if revenue is not None and revenue.get("ranks_as") == "conversion":
        return outcomes.get("conversion") or revenue
    return revenue or outcomes.get("conversion")
