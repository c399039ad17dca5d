"""Guardrails: a channel whose model is "not useful" on its held-out folds does not spend budget.

``train`` stores a verdict per arm (:mod:`uplift_lab.uplift.guardrails`); ``target`` drops the
channels whose model does not beat random targeting and refuses when none is left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from uplift_lab.errors import literal, usage_error
from uplift_lab.notices import Notice
from uplift_lab.target.channels import Channel, TargetConfig
from uplift_lab.uplift.guardrails import target_outcome, verdict_params
from uplift_lab.uplift.verdict_data import INCONCLUSIVE, NOT_USEFUL

WEAK_MODEL_FIX = (  # a UsageError template: {policy=segments} reads --policy segments in the CLI
    "Target by the effects measured on the past campaign instead ({policy=segments}"
    " {analysis=reports/PAST/report.json}), or pass {accept_weak_model} to send on these scores"
    " anyway"
)


@dataclass(frozen=True, slots=True)
class ChannelCheck:
    """Which channels keep their model's scores, and why the others were dropped."""

    kept: tuple[Channel, ...]
    dropped: tuple[tuple[str, Mapping], ...]  # (channel, its stored verdict: word, text, reason)
    unchecked: tuple[str, ...]
    inconclusive: tuple[tuple[str, Mapping], ...] = ()  # kept, not shown to beat random


def check_channel_models(
    channels: Sequence[Channel], verdicts: Mapping[str, Mapping[str, Mapping]]
) -> ChannelCheck:
    """Drop each channel whose model's held-out verdict (from ``train``) is "not useful".

    A channel is judged by the arm of the same name; a model with one treated arm judges every
    channel (they all use its single score). The revenue verdict counts when revenue was
    modelled (that is the score ``target`` spends on), else the conversion one
    (:func:`uplift_lab.uplift.guardrails.target_outcome`). "Inconclusive" channels are kept
    and listed: their Qini is above random's, but the held-out data cannot show it.
    """
    kept, dropped, unchecked, inconclusive = [], [], [], []
    for channel in channels:
        arm = channel.name if channel.name in verdicts else None
        if arm is None and len(verdicts) == 1:
            arm = next(iter(verdicts))
        entry = target_outcome(verdicts, arm) if arm is not None else None
        if entry is None:
            unchecked.append(channel.name)
            kept.append(channel)
        elif entry["verdict"] == NOT_USEFUL:
            dropped.append((channel.name, entry))
        else:
            kept.append(channel)
            if entry["verdict"] == INCONCLUSIVE:
                inconclusive.append((channel.name, entry))
    return ChannelCheck(tuple(kept), tuple(dropped), tuple(unchecked), tuple(inconclusive))


def guard_channels(
    config: TargetConfig,
    verdicts: Mapping[str, Mapping[str, Mapping]],
    *,
    accept_weak_model: bool,
    source: object,
) -> tuple[TargetConfig, tuple[Notice, ...]]:
    """The config without the channels whose model is "not useful", and what was said about them
    (notices, put in words by uplift_lab.report.notice_text).

    Refuses (naming ``source``, the model folder) when no channel is left, unless
    ``accept_weak_model``: then every channel is kept.
    """
    check = check_channel_models(config.channels, verdicts)
    warnings = []
    kept_anyway = accept_weak_model and not check.kept
    for name, entry in check.dropped:
        params = {"channel": name, **verdict_params(entry), "kept_anyway": kept_anyway}
        warnings.append(Notice("warning", "channel_dropped", params))
    for name, entry in check.inconclusive:
        params = {"channel": name, **verdict_params(entry)}
        warnings.append(Notice("warning", "channel_inconclusive", params))
    if check.unchecked:
        params = {"channels": check.unchecked}
        warnings.append(Notice("warning", "channels_unchecked", params))
    if not check.kept:
        if not accept_weak_model:
            names = ", ".join(name for name, _ in check.dropped)
            raise usage_error(
                source,
                f'the model is "not useful" (no better than random targeting on its held-out'
                f" folds) for every channel ({literal(names)})",
                WEAK_MODEL_FIX,
            )
        return config, tuple(warnings)
    return replace(config, channels=check.kept), tuple(warnings)
