"""The shape of ``model.json``: a small hand-written validator, so an edited file is refused.

Every field that loading uses is checked for its kind, shape and range, and every learner's kind
must be one this uplift-lab knows, with exactly the booster roles that kind writes. Fields this
module does not know are left alone (a later version may add them; the folder's manifest still
covers them, see ``uplift_lab.uplift.store.verify_manifest``).

To extend: add a field check to :data:`FIELD_CHECKS` (name -> check function), or a learner kind
to :data:`LEARNER_KINDS` with :func:`register_learner_kind`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uplift_lab.errors import UsageError, literal, usage_error
from uplift_lab.uplift.models import BAG_PREFIX, BAG_SIZE, DR_ROLES, ENSEMBLE_PARTS, X_ROLES
from uplift_lab.uplift.verdict_data import (
    CI_OVER,
    INCONCLUSIVE,
    NOT_USEFUL,
    NUMBERS,
    REASONS,
    USEFUL,
    VERDICT_WORDS,
)

RETRAIN_FIX = "Retrain the model with this uplift-lab (uplift-lab train ... {out=FOLDER})"
MAX_LEVELS = 1000
FEATURE_KINDS = ("numeric", "categorical")
TARGETS = ("conversion", "revenue")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_BOOSTER_FILE = re.compile(r"[A-Za-z0-9_.-]+\.txt")


@dataclass(frozen=True, slots=True)
class LearnerKind:
    """What a learner kind stores: the targets it models, its booster roles, its numeric params.

    ``params`` maps a parameter name to its open interval ``(low, high)``; every listed parameter
    is required, other numeric parameters are allowed (finite numbers).
    """

    targets: tuple[str, ...]
    boosters: tuple[str, ...]
    params: Mapping[str, tuple[float, float]] = field(default_factory=dict)


LEARNER_KINDS: dict[str, LearnerKind] = {
    "solo": LearnerKind(TARGETS, ("solo",)),
    "two": LearnerKind(TARGETS, ("control", "treated")),
    "two-ddr": LearnerKind(TARGETS, ("control", "treated")),
    "ct": LearnerKind(("conversion",), ("control", "ct"), {"treated_share": (0.0, 1.0)}),
    "ct-reg": LearnerKind(("revenue",), ("ct-reg",), {"propensity": (0.0, 1.0)}),
    "decomposition": LearnerKind(("revenue",), ("value",)),
    "conv-value": LearnerKind(("revenue",), (), {"order_value": (-1e-300, math.inf)}),
    "x": LearnerKind(TARGETS, X_ROLES, {"treated_share": (0.0, 1.0)}),
    "dr": LearnerKind(TARGETS, DR_ROLES, {"treated_share": (0.0, 1.0)}),
    "ensemble": LearnerKind(
        TARGETS,
        tuple(
            f"{part}.{role}"
            for part, roles in zip(ENSEMBLE_PARTS, (X_ROLES, DR_ROLES), strict=True)
            for role in roles
        ),
        {f"{part}.treated_share": (0.0, 1.0) for part in ENSEMBLE_PARTS},
    ),
}


def register_learner_kind(name: str, kind: LearnerKind) -> None:
    """Let ``model.json`` name a new learner kind (for modules that add learners)."""
    LEARNER_KINDS[name] = kind


def retrain_error(source: object, problem: str, fix: str = RETRAIN_FIX) -> UsageError:
    """A damaged or outdated model folder: ``source: problem. fix``, ``problem`` shown as it is
    (not a template) and ``fix`` (a template) saying how to retrain."""
    return usage_error(source, literal(problem), fix)


class _Invalid(Exception):
    """A field that is not of its schema: where it is and what is wrong."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"field '{where}' {problem}")


def _require(payload: Mapping, key: str, where: str) -> Any:
    if key not in payload:
        raise _Invalid(f"{where}{key}", "is missing")
    return payload[key]


def _text(value: Any, where: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value):
        raise _Invalid(where, f"must be {'a' if empty else 'a non-empty'} string, got {value!r}")
    return value


def _integer(value: Any, where: str, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(where, f"must be an integer, got {value!r}")
    if low is not None and value < low:
        raise _Invalid(where, f"must be at least {low}, got {value}")
    return value


def _number(value: Any, where: str, low: float | None = None, high: float | None = None) -> float:
    """A finite number, in the open interval (low, high) when given."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Invalid(where, f"must be a finite number, got {value!r}")
    if (low is not None and value <= low) or (high is not None and value >= high):
        raise _Invalid(where, f"must be between {low:g} and {high:g} (exclusive), got {value!r}")
    return float(value)


def _mapping(value: Any, where: str) -> Mapping:
    if not isinstance(value, dict):
        raise _Invalid(where, f"must be an object, got {type(value).__name__}")
    return value


def _unique_texts(value: Any, where: str, *, empty_list: bool = False) -> list[str]:
    if not isinstance(value, list) or (not empty_list and not value):
        raise _Invalid(where, "must be a non-empty list" if not empty_list else "must be a list")
    texts = [_text(item, f"{where}[{i}]", empty=True) for i, item in enumerate(value)]
    if len(set(texts)) != len(texts):
        raise _Invalid(where, "has a repeated value")
    return texts


def _check_features(value: Any, description: Mapping) -> None:
    if not isinstance(value, list) or not value:
        raise _Invalid("features", "must be a non-empty list")
    names = []
    for i, item in enumerate(value):
        where = f"features[{i}]"
        item = _mapping(item, where)
        names.append(_text(_require(item, "name", f"{where}."), f"{where}.name"))
        kind = _require(item, "kind", f"{where}.")
        if kind not in FEATURE_KINDS:
            raise _Invalid(f"{where}.kind", f"must be one of {', '.join(FEATURE_KINDS)}")
        levels = _unique_texts(item.get("levels", []), f"{where}.levels", empty_list=True)
        if kind == "numeric" and levels:
            raise _Invalid(f"{where}.levels", "must be empty for a numeric feature")
        if kind == "categorical" and not 0 < len(levels) <= MAX_LEVELS:
            raise _Invalid(f"{where}.levels", f"must hold 1 to {MAX_LEVELS} levels")
    if len(set(names)) != len(names):
        raise _Invalid("features", "has a repeated feature name")


def _check_arms(value: Any, description: Mapping) -> None:
    arms = _unique_texts(value, "arms")
    if any(not arm for arm in arms):
        raise _Invalid("arms", "has an empty arm label")
    if description.get("control") in arms:
        raise _Invalid("arms", "contains the control arm")


def _check_settings(value: Any, description: Mapping) -> None:
    settings = _mapping(value, "lightgbm_settings")
    ranges = {
        "num_leaves": 2,
        "min_child_samples": 1,
        "max_rounds": 1,
        "early_stopping_rounds": 1,
        "n_jobs": 1,
    }
    for name, low in ranges.items():
        if name in settings:
            _integer(settings[name], f"lightgbm_settings.{name}", low)
    if "seed" in settings:
        _integer(settings["seed"], "lightgbm_settings.seed")
    if "learning_rate" in settings:
        _number(settings["learning_rate"], "lightgbm_settings.learning_rate", 0.0, 1.0 + 1e-12)
    if "validation_share" in settings:
        _number(settings["validation_share"], "lightgbm_settings.validation_share", 0.0, 1.0)


def _check_learner(value: Any, where: str, target: str) -> None:
    learner = _mapping(value, where)
    kind_name = _require(learner, "kind", f"{where}.")
    kind = LEARNER_KINDS.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        raise _Invalid(
            f"{where}.kind",
            f"is {kind_name!r}, not a learner kind this uplift-lab knows "
            f"({', '.join(sorted(LEARNER_KINDS))})",
        )
    if target not in kind.targets:
        raise _Invalid(f"{where}.kind", f"is '{kind_name}', which does not model {target}")
    params = _mapping(learner.get("params", {}), f"{where}.params")
    # A bagged learner (models.bagged_learner) stores each member's roles and params as
    # "bag<i>.<name>".
    prefixes = [""]
    if BAG_SIZE in params:
        size = _number(params[BAG_SIZE], f"{where}.params.{BAG_SIZE}", 1.0, 1000.0)
        if size != int(size):
            raise _Invalid(f"{where}.params.{BAG_SIZE}", "must be a whole number")
        prefixes = [f"{BAG_PREFIX}{i}." for i in range(int(size))]
    for prefix in prefixes:
        for name in kind.params:
            _require(params, prefix + name, f"{where}.params.")
    for name, param in params.items():
        low, high = kind.params.get(name.rsplit(".", 1)[-1] if prefixes[0] else name, (None, None))
        if name != BAG_SIZE:
            _number(param, f"{where}.params.{name}", low, high)
    boosters = _mapping(_require(learner, "boosters", f"{where}."), f"{where}.boosters")
    roles = [prefix + role for prefix in prefixes for role in kind.boosters]
    if sorted(boosters) != sorted(roles):
        raise _Invalid(
            f"{where}.boosters",
            f"must have the roles {', '.join(kind.boosters)} of a '{kind_name}' learner"
            f"{f' (for each of {len(prefixes)} bagged members)' if prefixes[0] else ''}, "
            f"has {', '.join(sorted(boosters)) or 'none'}",
        )
    for role, info in boosters.items():
        info = _mapping(info, f"{where}.boosters.{role}")
        name = _text(_require(info, "file", f"{where}.boosters.{role}."), f"{where}.file")
        if not _BOOSTER_FILE.fullmatch(name):
            raise _Invalid(f"{where}.boosters.{role}.file", f"is not a booster file name: {name!r}")
        digest = _require(info, "sha256", f"{where}.boosters.{role}.")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise _Invalid(f"{where}.boosters.{role}.sha256", "is not a SHA-256 hex digest")


def _check_arm_models(value: Any, description: Mapping) -> None:
    arms = description.get("arms")
    if not isinstance(value, list) or len(value) != len(arms or []):
        raise _Invalid("arm_models", "must hold one entry per arm of 'arms'")
    for i, (entry, arm) in enumerate(zip(value, arms, strict=True)):
        where = f"arm_models[{i}]"
        entry = _mapping(entry, where)
        if _require(entry, "arm", f"{where}.") != arm:
            raise _Invalid(f"{where}.arm", f"must be '{arm}' (the order of 'arms')")
        _check_learner(
            _require(entry, "conversion", f"{where}."), f"{where}.conversion", "conversion"
        )
        if entry.get("revenue") is not None:
            _check_learner(entry["revenue"], f"{where}.revenue", "revenue")


def _check_verdict_reason(value: Any, where: str) -> None:
    """A stored verdict's data (:meth:`Verdict.as_dict`): a known code and its parameters.

    Whether it says what the entry's word and sentence say is
    :func:`uplift_lab.uplift.guardrails.stored_verdict`'s to judge (it keeps the sentence
    otherwise), so a folder whose sentence was rewritten still loads.
    """
    reason = _mapping(value, where)
    code = _require(reason, "code", f"{where}.")
    if code not in VERDICT_WORDS:
        raise _Invalid(f"{where}.code", f"must be one of {', '.join(VERDICT_WORDS)}, got {code!r}")
    params = _mapping(_require(reason, "params", f"{where}."), f"{where}.params")
    for name in NUMBERS:
        if _require(params, name, f"{where}.params.") is not None:
            _number(params[name], f"{where}.params.{name}")
    _check_verdict_terms(params, f"{where}.params", code)


def _check_verdict_terms(params: Mapping, where: str, code: str) -> None:
    """The words of a verdict's parameters: its reasons, what the CI is over, how shown."""
    reasons = params.get("reasons")
    if not isinstance(reasons, list) or any(item not in REASONS for item in reasons):
        raise _Invalid(f"{where}.reasons", f"must be a list of {', '.join(REASONS)}")
    if (code == "not_useful") != bool(reasons):
        raise _Invalid(f"{where}.reasons", "must be non-empty for 'not_useful' only")
    if params.get("ci_over") not in (*CI_OVER, None):
        raise _Invalid(f"{where}.ci_over", f"must be one of {', '.join(CI_OVER)} or null")
    if params.get("replicates") is not None:
        _integer(params["replicates"], f"{where}.replicates", 1)
    if not isinstance(params.get("percentage_points"), bool):
        raise _Invalid(f"{where}.percentage_points", "must be true or false")


def _check_verdicts(value: Any) -> None:
    """``cv_metrics.verdicts``: per arm and outcome, train's verdict word, its sentence and
    (since the verdict is kept as data) its ``reason``."""
    for arm, outcomes in _mapping(value, "cv_metrics.verdicts").items():
        for target, entry in _mapping(outcomes, f"cv_metrics.verdicts.{arm}").items():
            where = f"cv_metrics.verdicts.{arm}.{target}"
            if target not in TARGETS:
                raise _Invalid(where, f"is not an outcome ({', '.join(TARGETS)})")
            entry = _mapping(entry, where)
            word = _require(entry, "verdict", f"{where}.")
            if word not in (USEFUL, INCONCLUSIVE, NOT_USEFUL):
                raise _Invalid(f"{where}.verdict", "must be useful, inconclusive or not useful")
            _text(_require(entry, "text", f"{where}."), f"{where}.text")
            if "reason" in entry:
                _check_verdict_reason(entry["reason"], f"{where}.reason")


def _check_cv_metrics(value: Any, description: Mapping) -> None:
    metrics = _mapping(value, "cv_metrics")
    if "choice" in metrics:
        _mapping(metrics["choice"], "cv_metrics.choice")
    if "verdicts" in metrics:
        _check_verdicts(metrics["verdicts"])


FieldCheck = Callable[[Any, Mapping], None]

# Required top-level fields, in the order they are checked (later checks may rely on earlier).
FIELD_CHECKS: dict[str, FieldCheck] = {
    "id_col": lambda value, _: _text(value, "id_col") and None,
    "control": lambda value, _: _text(value, "control") and None,
    "arms": _check_arms,
    "features": _check_features,
    "training_sha256": lambda value, _: _text(value, "training_sha256", empty=True) and None,
    "n_rows": lambda value, _: _integer(value, "n_rows", 1) and None,
    "lightgbm_settings": _check_settings,
    "cv_metrics": _check_cv_metrics,
    "arm_models": _check_arm_models,
}


def validate_model_description(description: Any, source: Path) -> None:
    """Raise an InputError naming the first field of ``model.json`` that breaks its schema."""
    try:
        _mapping(description, "(top level)")
        for name, check in FIELD_CHECKS.items():
            check(_require(description, name, ""), description)
    except _Invalid as exc:
        raise retrain_error(source, f"{exc} (the file was edited or is damaged)") from None
