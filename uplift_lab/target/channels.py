"""What a campaign can use: channels, the plan's configuration, and the scores it spends on.

A :class:`Channel` costs a message and optionally a coupon per redemption; :class:`TargetConfig`
is the spec of one plan (recorded in design.json). The score table is validated into float
columns, then turned into (customer, channel) arrays for the solver.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from uplift_lab import contracts
from uplift_lab.contracts import CUSTOMER_ID, LIFECYCLE
from uplift_lab.errors import UsageError, input_error, literal, usage_error

UPLIFT_REVENUE = "uplift_revenue"
UPLIFT_CONVERSION = "uplift_conversion"
P_CONTROL = "p_control"
P_TREATED = "p_treated"
RFM_SCORE = "rfm_score"
DEFAULT_ELIGIBLE = ("semi_active", "silent")
OPT_IN_COLUMNS = {
    "sms": "sms_opt_in",
    "mms": "sms_opt_in",
    "edm": "email_opt_in",
    "email": "email_opt_in",
}
SCORE_COLUMN_PREFIXES = (UPLIFT_REVENUE, UPLIFT_CONVERSION, P_CONTROL, P_TREATED, "raw_")


@dataclass(frozen=True, slots=True)
class Channel:
    """A way to reach a customer: cost per message, coupon per redemption, response factor."""

    name: str
    message_cost: float
    coupon: float = 0.0
    response: float = 1.0


@dataclass(frozen=True, slots=True)
class TargetConfig:
    """Everything the plan depends on besides the data (recorded in design.json)."""

    channels: tuple[Channel, ...]
    budget: float | None
    margin: float
    eligible: tuple[str, ...] | None = DEFAULT_ELIGIBLE
    max_customers: int | None = None
    min_expected_profit: float = 0.0
    where: str | None = None  # DuckDB SQL condition over the segments columns (--where)

    def as_dict(self) -> dict:
        """Plain-JSON view for design.json's ``campaign`` entry."""
        return {
            "channels": {
                c.name: {"message_cost": c.message_cost, "coupon": c.coupon, "response": c.response}
                for c in self.channels
            },
            "budget": "auto" if self.budget is None else self.budget,
            "margin": self.margin,
            "eligible": list(self.eligible) if self.eligible is not None else None,
            "max_customers": self.max_customers,
            "min_expected_profit": self.min_expected_profit,
            "where": self.where,
        }


def parse_channels(
    specs: Mapping[str, Mapping[str, str]],
    responses: Mapping[str, str],
    default_coupon: float,
) -> tuple[Channel, ...]:
    """Build channels from parsed ``--channel`` specs ``{name: {"cost": .., "coupon": ..}}``."""
    if not specs:
        raise UsageError("{channel}: no channel given. Add e.g. {channel=sms=0.05}")
    unknown = sorted(set(responses) - set(specs))
    if unknown:
        raise UsageError(
            f"{{response}}: unknown channel(s) {literal(', '.join(unknown))}. "
            f"Channels given with {{channel}}: {literal(', '.join(specs))}"
        )
    channels = []
    for name, fields in specs.items():
        message_cost = _non_negative(fields.get("cost"), with_value("channel", f"{name}=COST"))
        coupon = fields.get("coupon", default_coupon)
        coupon = _non_negative(coupon, with_value("channel", f"{name},coupon"))
        response = _non_negative(responses.get(name, 1.0), with_value("response", name))
        channels.append(Channel(name, message_cost, coupon, response))
    return tuple(channels)


def with_value(parameter: str, value: str) -> str:
    """``{parameter=value}`` for a UsageError template ("channel=sms=COST" in the library,
    "--channel sms=COST" in the CLI); a value with braces follows the placeholder instead."""
    if "{" in value or "}" in value:
        return f"{{{parameter}}} {literal(value)}"
    return f"{{{parameter}={value}}}"


def _non_negative(value: object, named: str) -> float:
    """``value`` as a number >= 0, else a UsageError on ``named`` (a template's placeholder)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise UsageError(f"{named}: expected a number >= 0, got '{literal(value)}'")
    return number


def validate_scores(
    frame: pd.DataFrame, source: object, channels: Sequence[Channel]
) -> pd.DataFrame:
    """Canonical score table: text ids, and every score column the channels need as float."""
    contracts.require_columns(frame, (CUSTOMER_ID,), source)
    out = frame.copy()
    out[CUSTOMER_ID] = contracts.ids_as_text(frame, CUSTOMER_ID, source, unique=True)
    if len(out) == 0:
        raise input_error(source, "has no rows", "Score some customers first (uplift-lab score)")
    for column in needed_score_columns(frame, source, channels):
        out[column] = contracts.numeric_column(frame, column, source)
    return out


def needed_score_columns(
    frame: pd.DataFrame, source: object, channels: Sequence[Channel]
) -> list[str]:
    """The score columns the channels read (own columns first), refusing when one is missing."""
    needed: list[str] = []
    for channel in channels:
        own_revenue = f"{UPLIFT_REVENUE}_{channel.name}"
        if own_revenue in frame.columns:
            needed.append(own_revenue)
        elif UPLIFT_REVENUE in frame.columns:
            needed.append(UPLIFT_REVENUE)
        else:
            arms = score_arms(frame.columns)
            if arms:  # a model of several sends, none of them this channel
                raise input_error(
                    source,
                    f"channel '{channel.name}' is not an arm of the model that scored these"
                    f" customers (its arms: {', '.join(arms)}; no column '{own_revenue}')",
                    "Name each channel as an arm of the model, or train one with this arm",
                )
            raise input_error(
                source,
                f"missing column '{own_revenue}' (or '{UPLIFT_REVENUE}') for channel "
                f"'{channel.name}'",
                "Pass the output of uplift-lab score of a model with revenue: train it with"
                " --revenue-col, or --value-per-conversion V when a conversion is worth a fixed V",
            )
        if channel.coupon > 0:
            needed.extend(_conversion_columns(frame, source, channel))
    return list(dict.fromkeys(needed))


def _conversion_columns(frame: pd.DataFrame, source: object, channel: Channel) -> list[str]:
    own = f"{UPLIFT_CONVERSION}_{channel.name}"
    if f"{P_TREATED}_{channel.name}" in frame.columns:
        return [f"{P_TREATED}_{channel.name}"]
    if P_CONTROL in frame.columns and own in frame.columns:
        return [P_CONTROL, own]
    if P_CONTROL in frame.columns and UPLIFT_CONVERSION in frame.columns:
        return [P_CONTROL, UPLIFT_CONVERSION]
    if P_TREATED in frame.columns:
        return [P_TREATED]
    raise input_error(
        source,
        f"a coupon on channel '{channel.name}' needs P(convert | sent), but the file has neither "
        f"'{P_CONTROL}' with '{UPLIFT_CONVERSION}' nor '{P_TREATED}'",
        "Score with a conversion model, or drop the coupon",
    )


def score_arms(columns: Sequence[str]) -> list[str]:
    """The arms a scores file has its own revenue uplift for (``uplift_revenue_<arm>``)."""
    prefix = UPLIFT_REVENUE + "_"
    return [str(c)[len(prefix) :] for c in columns if str(c).startswith(prefix)]


def borrowed_score_channels(columns: Sequence[str], channels: Sequence[Channel]) -> list[str]:
    """The channels valued by the scores' shared ``uplift_revenue`` at full strength (no own
    ``uplift_revenue_<channel>`` and a response factor of 1), where the scores hold per-arm
    columns of other sends: a model of one send judging another channel as if it were it. With
    one arm, a single such channel is taken to be the send the model learned."""
    arms = score_arms(columns)
    if not arms or UPLIFT_REVENUE not in columns:
        return []
    borrowed = [c.name for c in channels if c.name not in arms and c.response == 1.0]
    # One send learned (its arm named '1', 'Yes', 'Womens E-Mail'...) is one channel's own
    # score; only several channels at full strength, or several arms, borrow for sure.
    return borrowed if len(arms) >= 2 or len(borrowed) >= 2 else []


def channel_scores(
    scores: pd.DataFrame, channels: Sequence[Channel]
) -> tuple[np.ndarray, np.ndarray]:
    """Expected incremental revenue and P(convert | sent) per customer and channel, (n, k).

    A channel's own columns (``uplift_revenue_<channel>``; ``p_treated_<channel>``, else
    ``p_control + uplift_conversion_<channel>``) win; otherwise the single score is scaled by the
    channel's response factor (``p_control + uplift_conversion x response``, else ``p_treated``).
    """
    n, k = len(scores), len(channels)
    revenue = np.empty((n, k))
    p_convert = np.zeros((n, k))
    for j, channel in enumerate(channels):
        own = f"{UPLIFT_REVENUE}_{channel.name}"
        if own in scores.columns:
            revenue[:, j] = scores[own].to_numpy(dtype=np.float64)
        else:
            revenue[:, j] = scores[UPLIFT_REVENUE].to_numpy(dtype=np.float64) * channel.response
        if channel.coupon > 0:
            p_convert[:, j] = _p_convert(scores, channel)
    return revenue, p_convert


def _p_convert(scores: pd.DataFrame, channel: Channel) -> np.ndarray:
    own = f"{UPLIFT_CONVERSION}_{channel.name}"
    if f"{P_TREATED}_{channel.name}" in scores.columns:
        p = scores[f"{P_TREATED}_{channel.name}"].to_numpy(np.float64)
    elif P_CONTROL in scores.columns and own in scores.columns:
        p = scores[P_CONTROL].to_numpy(np.float64) + scores[own].to_numpy(np.float64)
    elif P_CONTROL in scores.columns and UPLIFT_CONVERSION in scores.columns:
        uplift = scores[UPLIFT_CONVERSION].to_numpy(np.float64) * channel.response
        p = scores[P_CONTROL].to_numpy(np.float64) + uplift
    else:
        p = scores[P_TREATED].to_numpy(np.float64)
    return np.clip(p, 0.0, 1.0)


def opt_in_mask(customers: pd.DataFrame, channels: Sequence[Channel], source: object) -> np.ndarray:
    """(n, k) bool: may customer i be messaged on channel c? (``sms_opt_in=0`` -> no sms/mms).

    Opt-in columns read 1/0, true/false, yes/no, y/n or 是/否 (:func:`contracts.yes_no_flags`).
    """
    allowed = np.ones((len(customers), len(channels)), dtype=bool)
    for j, channel in enumerate(channels):
        column = opt_in_column(channel)
        if column not in customers.columns:
            continue
        allowed[:, j] = contracts.yes_no_flags(customers, column, source)
    return allowed


def opt_in_column(channel: Channel) -> str:
    """The segments column saying whether a customer may get ``channel``."""
    return OPT_IN_COLUMNS.get(channel.name, f"{channel.name}_opt_in")


def check_segment_columns(segments: pd.DataFrame, source: object, config: TargetConfig) -> None:
    """Refuse a segments file without the lifecycle --eligible asks for, or bad opt-ins."""
    if config.eligible is not None:
        if LIFECYCLE not in segments.columns:
            raise usage_error(
                source,
                f"missing column '{LIFECYCLE}' needed by {{eligible}}",
                "Pass the output of uplift-lab segment, or {eligible=all}",
            )
        present = set(segments[LIFECYCLE].dropna().astype(str))
        unknown = [stage for stage in config.eligible if stage not in present]
        if len(unknown) == len(config.eligible):
            raise usage_error(
                source,
                f"no customer has lifecycle {literal(', '.join(config.eligible))} "
                f"(the file has: {literal(', '.join(sorted(present)[:10]))})",
                "Fix {eligible}, e.g. {eligible=semi_active,silent} or {eligible=all}",
            )
    opt_in_mask(segments, config.channels, source)  # 0/1 check of the opt-in columns
    if RFM_SCORE in segments.columns:
        contracts.numeric_column(segments, RFM_SCORE, source, allow_missing=True)
