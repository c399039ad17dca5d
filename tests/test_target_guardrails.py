"""The pure guardrail step: a channel whose model is "not useful" is dropped, none left refuses."""

from __future__ import annotations

import pytest

from uplift_lab.cli._common import error_message
from uplift_lab.errors import InputError
from uplift_lab.report.notice_text import notice_texts
from uplift_lab.target import Channel, TargetConfig, guard_channels
from uplift_lab.uplift.verdict import INCONCLUSIVE, NOT_USEFUL, USEFUL

CONFIG = TargetConfig(
    channels=(Channel("sms", 0.05), Channel("edm", 0.01), Channel("push", 0.0)),
    budget=100.0,
    margin=0.3,
)


def _verdict(verdict: str, text: str = "Qini 0.01 against random 0.02.") -> dict:
    return {"revenue": {"verdict": verdict, "text": text}}


def test_a_not_useful_channel_is_dropped_and_said_so() -> None:
    verdicts = {"sms": _verdict(NOT_USEFUL), "edm": _verdict(USEFUL), "push": _verdict(USEFUL)}
    config, notices = guard_channels(CONFIG, verdicts, accept_weak_model=False, source="m")
    warnings = notice_texts(notices)
    assert [c.name for c in config.channels] == ["edm", "push"]
    assert len(warnings) == 1 and warnings[0].startswith("channel 'sms' dropped")


def test_an_inconclusive_channel_is_kept_with_a_warning_and_unknown_arms_are_named() -> None:
    verdicts = {
        "sms": _verdict(INCONCLUSIVE, "Inconclusive. Collect more."),
        "edm": _verdict(USEFUL),
    }
    config, notices = guard_channels(CONFIG, verdicts, accept_weak_model=False, source="m")
    warnings = notice_texts(notices)
    assert config == CONFIG
    assert "channel 'sms' kept" in warnings[0] and "(Inconclusive)" in warnings[0]
    assert warnings[1].startswith("channel(s) push: the model has no arm of that name")


def test_one_treated_arm_judges_every_channel() -> None:
    config, _ = guard_channels(
        CONFIG, {"treatment": _verdict(USEFUL)}, accept_weak_model=False, source="m"
    )
    assert config == CONFIG


def test_no_useful_channel_refuses_naming_the_model_and_the_fix() -> None:
    verdicts = {"treatment": _verdict(NOT_USEFUL)}
    with pytest.raises(InputError) as raised:
        guard_channels(CONFIG, verdicts, accept_weak_model=False, source="models/m")
    said = str(raised.value)
    assert said.startswith("models/m: ") and "--" not in said
    assert "(policy=segments analysis=reports/PAST/report.json)" in said
    assert "or pass 'accept_weak_model' to send on these scores anyway" in said
    assert error_message(raised.value).endswith(
        "Target by the effects measured on the past campaign instead (--policy segments"
        " --analysis reports/PAST/report.json), or pass --accept-weak-model to send on these"
        " scores anyway"
    )


def test_accept_weak_model_keeps_every_channel_when_none_is_useful() -> None:
    verdicts = {"treatment": _verdict(NOT_USEFUL)}
    config, notices = guard_channels(CONFIG, verdicts, accept_weak_model=True, source="m")
    warnings = notice_texts(notices)
    assert config == CONFIG
    assert all(w.endswith("(kept: --accept-weak-model)") for w in warnings)
