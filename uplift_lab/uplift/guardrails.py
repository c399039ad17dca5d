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
from uplift_lab.uplift.verdict_data import NOT_USEFUL, Verdict
from uplift_lab.uplift.verdict_text import verdict_sentence

VERDICTS_KEY = "verdicts"
# Revenue learners whose ranking is the chosen conversion learner's (a constant order value).
RANKS_AS_CONVERSION = ("conv-value",)


def chosen_model_verdicts(
    cv_metrics: Mapping, cv_predictions: pd.DataFrame, *, id_col: str, arms, control: str, seed=0
) -> dict[str, dict[str, dict]]:
    """``{arm: {outcome: {"verdict", "text", "qini", "beats_rfm", ...}}}`` of the chosen models.

    ``verdict`` is evaluate's word ("useful", "inconclusive", "not useful"), ``text`` its
    sentence and ``reason`` the same verdict as data (:meth:`Verdict.as_dict
    <uplift_lab.uplift.verdict_data.Verdict.as_dict>`, so a report says it in its language);
    ``rfm_difference`` is the chosen model's pooled Qini minus the RFM rule's, with its
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
            "reason": item.verdict_data.as_dict(),
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
                params = {**where, **verdict_params(entry)}
                notices.append(Notice("warning", "model_not_useful", params))
            elif entry["verdict"] != "useful":
                params = {**where, "verdict": entry["verdict"]}
                notices.append(Notice("note", "model_not_shown_useful", params))
            difference = entry.get("rfm_difference")
            if entry.get("beats_rfm") is False and difference:
                params = {**where, **difference}
                notices.append(Notice("warning", "model_not_beating_rfm", params))
    return notices


def stored_verdict(entry: Mapping) -> Verdict | None:
    """The verdict data of a stored entry, when it says what the entry's sentence says.

    Older model folders have only the sentence (``text``); an entry whose sentence was edited
    (or written by another version's templates) keeps its own words: None then.
    """
    reason = entry.get("reason")
    if not isinstance(reason, Mapping):
        return None
    verdict = Verdict.from_dict(reason)
    same = verdict.word == entry.get("verdict") and verdict_sentence(verdict) == entry.get("text")
    return verdict if same else None


def verdict_params(entry: Mapping) -> dict:
    """A notice's ``verdict`` (the stored sentence) and, when it matches, ``reason`` (the data
    a report renders in its language)."""
    params: dict = {"verdict": str(entry["text"])}
    verdict = stored_verdict(entry)
    if verdict is not None:
        params["reason"] = verdict.as_dict()
    return params


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
