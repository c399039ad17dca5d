"""The past campaign a target plan is valued on (uplift_lab.policy): its refusals name the
parameters (``'validate_control'``), the CLI the flags (tests/cli/test_error_words_cli.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from uplift_lab.errors import InputError
from uplift_lab.policy import validate_past_campaign


def test_a_past_campaign_without_its_control_label_names_validate_control() -> None:
    past = pd.DataFrame(
        {"customer_id": ["a", "b"], "arm": ["send", "hold"], "converted": [0, 1],
         "revenue": [0.0, 5.0]}
    )  # fmt: skip
    with pytest.raises(InputError) as caught:
        validate_past_campaign(past, "past.csv")
    message = str(caught.value)
    assert message == (
        "past.csv: column 'arm' has no control label 'control' (labels: hold, send). "
        "Name the holdout label with 'validate_control'"
    )
