"""Notices: what a reader of a report must not miss, by level (critical first).

A step says *what* it noticed as a stable ``code`` and its ``params`` (numbers, labels); the
words are :mod:`uplift_lab.report.notice_text`'s (the analysis's) and
:mod:`uplift_lab.report.step_notice_text`'s (design, import-campaign, target, the model's
evaluation, the data readers), so every report, the CLI and each language render them from one
set of templates; a workflow renders them where a file keeps words (design.json's warnings).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

LEVELS = ("critical", "warning", "note")


@dataclass(frozen=True, slots=True)
class Notice:
    """A warning for the reader; ``critical`` ones go at the top, loudly."""

    level: str  # critical | warning | note
    code: str  # e.g. "srm", "whale_share", "window_not_covered"
    params: Mapping[str, object] = field(default_factory=dict)


def by_level(notices: Iterable[Notice]) -> tuple[Notice, ...]:
    """The notices critical first, then warnings, then notes (stable within a level)."""
    return tuple(sorted(notices, key=lambda notice: LEVELS.index(notice.level)))
