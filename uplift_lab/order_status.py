"""How order statuses are compared: trimmed, full-width punctuation as ASCII, letters in lower
case, so that a status rule written once matches the spellings back-ends export; and the notice
naming a listed status no row has."""

from __future__ import annotations

import warnings
from typing import Any

from uplift_lab.errors import DataWarning
from uplift_lab.notices import Notice

# Full-width forms of ASCII (U+FF01-FF5E: '，' for ',') read as ASCII where statuses are compared:
# Chinese back-ends write 买家已付款，等待卖家发货 with either comma.
FULL_WIDTH_FORMS = "".join(chr(code) for code in range(0xFF01, 0xFF5F))
HALF_WIDTH_FORMS = "".join(chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F))
_HALF_WIDTH = str.maketrans(FULL_WIDTH_FORMS, HALF_WIDTH_FORMS)


def name_unmatched_statuses(rules: Any, labels: list) -> None:
    """A notice per status the user listed that no row of the file has, with the ones it has
    ('canceled' where the file writes 'cancelled' would otherwise count every row)."""
    present = {status_key(label) for label in labels if label}
    option = "--paid-status" if rules.paid_statuses else "--exclude-status"
    shown = ", ".join(f"'{label}'" for label in sorted({str(x) for x in labels if x})[:12])
    for status in rules.paid_statuses or rules.excluded_statuses:
        if status_key(status) not in present:
            params = {"option": option, "status": status, "column": rules.status_col}
            params["present"] = shown or "none"
            warnings.warn(DataWarning(Notice("warning", "status_unmatched", params)), stacklevel=3)


def status_key(status: str | None) -> str | None:
    """A status as the status rules compare it: full-width punctuation as ASCII ('，' = ','),
    letters in lower case ('Paid' = 'paid')."""
    return None if status is None else status.translate(_HALF_WIDTH).lower()
