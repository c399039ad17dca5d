"""The eight classic RFM classes and their Chinese names (no dependencies: the report labels
read them at ``uplift-lab --help`` time, :mod:`uplift_lab.segment_rules` assigns them)."""

from __future__ import annotations

RFM_CLASSES: tuple[tuple[str, str, tuple[bool, bool, bool]], ...] = (
    ("important_value", "重要价值客户", (True, True, True)),
    ("important_development", "重要发展客户", (True, False, True)),
    ("important_retention", "重要保持客户", (False, True, True)),
    ("important_winback", "重要挽留客户", (False, False, True)),
    ("general_value", "一般价值客户", (True, True, False)),
    ("general_development", "一般发展客户", (True, False, False)),
    ("general_retention", "一般保持客户", (False, True, False)),
    ("general_winback", "一般挽留客户", (False, False, False)),
)
"""(key, Chinese name, (R high, F high, M high)) of the eight classic RFM classes."""

NO_PURCHASE_CLASS = ("no_purchase", "未购买客户")
RFM_CLASS_NAMES_ZH = dict([(key, zh) for key, zh, _ in RFM_CLASSES] + [NO_PURCHASE_CLASS])
