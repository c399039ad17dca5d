"""Notices: what a reader of a report must not miss, by level (critical first)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

LEVELS = ("critical", "warning", "note")


@dataclass(frozen=True, slots=True)
class Notice:
    """A warning for the reader; ``critical`` ones go at the top, loudly."""

    level: str  # critical | warning | note
    message: str


def by_level(notices: Iterable[Notice]) -> tuple[Notice, ...]:
    """The notices critical first, then warnings, then notes (stable within a level)."""
    return tuple(sorted(notices, key=lambda notice: LEVELS.index(notice.level)))
