"""The verdict in English words: the sentence evaluate prints and train stores.

:func:`verdict_sentence` fills these templates through ``say`` (a template and its values ->
text): plain ``str.format`` here, so a step can store the sentence without the reporting layer;
:class:`~uplift_lab.report.labels.Labels` there, so ``--lang zh`` says the same verdict from
its Chinese templates (uplift_lab.report.verdict_zh), number for number.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

from uplift_lab.uplift.verdict_data import INCONCLUSIVE, Verdict

Say = Callable[..., str]
"""``say(template, **values)``: a template in the language of the text, filled."""

WORD_AND_REASON = "{word}: {reason}"
SENTENCE_END = "{sentence}."
SENTENCE_THEN = "{sentence}. {then}"
QINI = "Qini coefficient"  # the report tables' label, followed by its value
QINI_WITH_CI = "{qini} (95% CI {low:.3f} to {high:.3f}, {where})"
CI_OVER_BOOTSTRAP = "customer bootstrap, {replicates} replicates"
CI_OVER_FOLDS = "over folds"
PERCENTAGE_POINTS = "{value:+.2f} pp"
BINS_BEAT = "its top bin's observed uplift ({top}) beats its bottom bin's ({bottom})"
BINS_DO_NOT_BEAT = "its top bin's observed uplift ({top}) does not beat its bottom bin's ({bottom})"
BINS_NOT_COMPARABLE = (
    "the top or bottom bin lacks treated or control customers, so they cannot be compared"
)
QINI_UNDEFINED = "the Qini coefficient is undefined (the outcome does not vary)"
QINI_NOT_ABOVE_0 = "the {qini} is not above 0"
MORE_REASONS = "{reasons}; {reason}"
NOT_SHOWN_TO_BEAT = "Targeting by this score is not shown to beat random targeting."
TEST_TOO_WEAK = (
    "{bins} and the {qini} is above 0, but a one-sided test of 'better than random' gives p = "
    "{p_value:.3f} (below {alpha:g} needed), so this held-out data cannot tell it from random "
    "targeting (it would show a Qini of {detectable:.3f} or more {power:.0%} of the time)"
)
BINS_DISAGREE = (
    "the {qini} is above 0, but {bins}, so this held-out data does not agree with itself"
)
USEFUL_BECAUSE = "{bins} and the {qini} is above 0{test}"
ONE_SIDED_TEST = " (one-sided test of 'better than random': p = {p_value:.3f})"
RANDOM_ORDER = (
    "a random order by construction; its Qini coefficient {qini:.3f} shows how far chance alone "
    "moves the metric here"
)
INCONCLUSIVE_ADVICE = (
    "A larger holdout would tell: `uplift-lab target` keeps a random holdout in every send, so "
    "the next campaign measures this model's uplift directly."
)


def english(template: str, /, **values: object) -> str:
    """``say`` in English: the template filled as it is."""
    return template.format(**values) if values else template


def _uplift(verdict: Verdict, name: str, say: Say) -> str:
    value = verdict.number(name)
    if verdict.percentage_points:
        return say(PERCENTAGE_POINTS, value=100 * value)
    return f"{value:+.4g}"


def _qini(verdict: Verdict, say: Say) -> str:
    qini = f"{say(QINI)} {verdict.number('qini'):.3f}"
    low = verdict.number("ci_low")
    if math.isnan(low):
        return qini
    where = ""
    if verdict.ci_over == "bootstrap":
        where = say(CI_OVER_BOOTSTRAP, replicates=verdict.replicates)
    elif verdict.ci_over == "folds":
        where = say(CI_OVER_FOLDS)
    high = verdict.number("ci_high")
    return say(QINI_WITH_CI, qini=qini, low=low, high=high, where=where)


def _bins(verdict: Verdict, say: Say) -> str:
    top, bottom = verdict.number("top"), verdict.number("bottom")
    template = BINS_BEAT if top > bottom else BINS_DO_NOT_BEAT
    return say(template, top=_uplift(verdict, "top", say), bottom=_uplift(verdict, "bottom", say))


def _not_useful_reason(verdict: Verdict, reason: str, say: Say) -> str:
    if reason == "bins_not_comparable":
        return say(BINS_NOT_COMPARABLE)
    if reason == "qini_undefined":
        return say(QINI_UNDEFINED)
    if reason == "bins_do_not_beat":
        return _bins(verdict, say)
    return say(QINI_NOT_ABOVE_0, qini=_qini(verdict, say))


def _reason(verdict: Verdict, say: Say) -> str:
    """Why the verdict is what it is: the sentence after the word, without its full stop."""
    numbers = {name: verdict.number(name) for name in ("p_value", "alpha", "detectable", "power")}
    if verdict.code == "not_useful":
        reasons = [_not_useful_reason(verdict, reason, say) for reason in verdict.reasons]
        return functools.reduce(
            lambda said, more: say(MORE_REASONS, reasons=said, reason=more), reasons
        )
    if verdict.code == "random_order":
        return say(RANDOM_ORDER, qini=verdict.number("qini"))
    qini, bins = _qini(verdict, say), _bins(verdict, say)
    if verdict.code == "inconclusive_test":
        return say(TEST_TOO_WEAK, bins=bins, qini=qini, **numbers)
    if verdict.code == "inconclusive_bins":
        return say(BINS_DISAGREE, qini=qini, bins=bins)
    test = "" if math.isnan(numbers["p_value"]) else say(ONE_SIDED_TEST, p_value=numbers["p_value"])
    return say(USEFUL_BECAUSE, bins=bins, qini=qini, test=test)


def verdict_clause(verdict: Verdict, say: Say = english) -> str:
    """The verdict's word and why, without the sentence's end (what a notice quotes)."""
    return say(WORD_AND_REASON, word=say(verdict.word), reason=_reason(verdict, say))


def verdict_sentence(verdict: Verdict, say: Say = english) -> str:
    """The verdict in words: "useful: ...", "inconclusive: ..." or "not useful: ..."."""
    clause = verdict_clause(verdict, say)
    if verdict.code == "not_useful":
        return say(SENTENCE_THEN, sentence=clause, then=say(NOT_SHOWN_TO_BEAT))
    if verdict.word == INCONCLUSIVE:
        return say(SENTENCE_THEN, sentence=clause, then=say(INCONCLUSIVE_ADVICE))
    return say(SENTENCE_END, sentence=clause)
