"""A second synthetic shop, built differently from :mod:`uplift_lab.synth`: purchase cycles.

Where ``synth`` draws orders from Poisson phases and plants an effect on fixed-day recency, this
shop is a replenishment business whose customers buy on their own clock:

* four categories with purchase cycles from a week to five months (fresh food ~7 days, beauty
  ~35, apparel ~75, home ~150); each buyer's own cycle scatters around the category's, and the
  gaps between orders are regular (gamma, shape 3), not memoryless;
* each buyer lapses at some point (after about ten cycles on average) and then buys at a tenth of
  the rate, so at any date customers are spread from "just bought" to many cycles overdue, and
  a slow-cycle customer two cycles overdue has not bought for most of a year;
* a past 3-arm campaign (control 10% / sms 45% / edm 45%, randomized within fixed-day lifecycle
  stages among the customers opted in to both channels) whose planted effect depends on how
  overdue a customer is *by their own cycle*: strongest for repeat buyers 2-5 cycles overdue,
  weak for one-time buyers, and negative for heavy recent buyers (a message lands while the
  fridge is full and they skip an order). E-mail works at a quarter of SMS's strength;
* opt-outs (``sms_opt_in``, ``email_opt_in``), a ``signup_date`` text column, and a planted
  per-customer truth per channel for a campaign starting at ``as_of`` (``truth.csv``: never a
  feature).

Files (as ``synth``): customers.csv, orders.csv, campaign.csv, truth.csv, shop.json and the past
campaign as an experiment folder, so the same CLI loop runs on either shop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from uplift_lab.design import ExperimentDesign, design_experiment

WORLD_NAME = "cycles"
DEFAULT_AS_OF = pd.Timestamp("2026-10-20")
HISTORY_DAYS = 900
CAMPAIGN_LEAD_DAYS = 45
WINDOW_DAYS = 14
CONTROL_SHARE = 0.10
MARGIN = 0.30
PAST_CAMPAIGN_NAME = "past_campaign"
CHANNEL_COST = {"sms": 0.05, "edm": 0.01}
CHANNEL_STRENGTH = {"sms": 1.0, "edm": 0.25}
"""Planted effect of each channel relative to SMS (harm scales the same way)."""

# category: (share of customers, mean days between orders, mean order value)
CATEGORIES = {
    "fresh": (0.30, 7.0, 45.0),
    "beauty": (0.25, 35.0, 90.0),
    "apparel": (0.25, 75.0, 160.0),
    "home": (0.20, 150.0, 380.0),
}
GAP_SHAPE = 3.0  # gamma shape of the gaps between orders (regular replenishment)
CYCLE_SIGMA = 0.35  # log-normal scatter of a customer's own cycle around the category's
VALUE_SIGMA = 0.4  # log-normal scatter of a customer's mean order value
ORDER_SIGMA = 0.5  # log-normal scatter of single orders around the customer's mean
LAPSE_CYCLES = 10.0  # mean number of cycles (exponential) before a buyer lapses
LAPSED_RATE = 0.10  # purchase rate after lapsing, relative to the own cycle
BUYER_SHARE = 0.9  # the rest signed up and never bought

PEAK_OVERDUE = 3.2  # cycles overdue where a message helps most
PEAK_WIDTH = 0.45  # log-scale width of the bump (about 2-5 cycles)
PEAK_UPLIFT = 0.12  # extra order probability at the peak (repeat buyers, SMS)
ONE_TIME_FACTOR = 0.2  # one-time buyers respond at this share
HEAVY_ORDERS, HEAVY_OVERDUE = 6, 0.8  # heavy recent buyer: >= 6 orders and < 0.8 cycles since
HEAVY_HARM = 0.25  # share of a heavy recent buyer's window orders an SMS makes them skip
REGIONS = ("north", "south", "east", "west")


@dataclass(frozen=True)
class CyclesShop:
    """The generated tables and the hidden per-customer parameters behind the truth."""

    customers: pd.DataFrame
    orders: pd.DataFrame
    campaign: pd.DataFrame
    truth: pd.DataFrame
    latent: pd.DataFrame
    campaign_design: ExperimentDesign
    campaign_start: pd.Timestamp
    as_of: pd.Timestamp
    seed: int


def _stream(seed: int, purpose: str) -> np.random.Generator:
    """An independent random stream per purpose, so adding one never shifts another."""
    key = int.from_bytes(purpose.encode(), "little") % (2**32)
    return np.random.default_rng([seed, key, 20261020])


def _latent(n: int, rng: np.random.Generator) -> pd.DataFrame:
    names = list(CATEGORIES)
    shares = np.array([CATEGORIES[c][0] for c in names])
    category = rng.choice(len(names), size=n, p=shares / shares.sum())
    base_cycle = np.array([CATEGORIES[c][1] for c in names])[category]
    base_value = np.array([CATEGORIES[c][2] for c in names])[category]
    cycle = base_cycle * rng.lognormal(0.0, CYCLE_SIGMA, n)
    signup = rng.uniform(0.0, HISTORY_DAYS - 20.0, n)
    first = signup + rng.exponential(np.minimum(cycle, 30.0))
    return pd.DataFrame(
        {
            "customer_id": [f"U{i:06d}" for i in range(1, n + 1)],
            "category": np.array(names)[category],
            "cycle": cycle,
            "order_value": base_value * rng.lognormal(0.0, VALUE_SIGMA, n),
            "signup_day": signup,
            "first_order_day": np.where(rng.random(n) < BUYER_SHARE, first, np.inf),
            "lapse_day": first + rng.exponential(LAPSE_CYCLES, n) * cycle,
            "age": rng.integers(18, 70, n),
        }
    )


def _natural_orders(latent: pd.DataFrame, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """(customer index, day) of every natural order: gamma gaps, slower after lapsing."""
    cycle = latent["cycle"].to_numpy()
    lapse = latent["lapse_day"].to_numpy()
    day = latent["first_order_day"].to_numpy().copy()
    owners, days = [], []
    alive = np.flatnonzero(day < HISTORY_DAYS)
    while alive.size:
        owners.append(alive)
        days.append(day[alive])
        mean_gap = np.where(day[alive] < lapse[alive], cycle[alive], cycle[alive] / LAPSED_RATE)
        day[alive] += rng.gamma(GAP_SHAPE, mean_gap / GAP_SHAPE)
        alive = alive[day[alive] < HISTORY_DAYS]
    return np.concatenate(owners), np.concatenate(days)


def _order_table(
    latent: pd.DataFrame, owner: np.ndarray, day: np.ndarray, rng, origin: pd.Timestamp
) -> pd.DataFrame:
    names = np.array(list(CATEGORIES))
    own = latent["category"].to_numpy()[owner]
    other = names[rng.integers(0, len(names), owner.size)]
    value = latent["order_value"].to_numpy()[owner]
    amount = value * rng.lognormal(-(ORDER_SIGMA**2) / 2, ORDER_SIGMA, owner.size)
    return pd.DataFrame(
        {
            "customer_id": latent["customer_id"].to_numpy()[owner],
            "order_time": origin + pd.to_timedelta(np.round(day * 86400), unit="s"),
            "amount": np.round(amount, 2),
            "category": np.where(rng.random(owner.size) < 0.85, own, other),
        }
    )


def _state(latent: pd.DataFrame, owner: np.ndarray, day: np.ndarray, at: float) -> pd.DataFrame:
    """Per customer, from orders before day ``at``: orders, days since the last, cycles overdue."""
    n = len(latent)
    before = day < at
    counts = np.bincount(owner[before], minlength=n)
    last = np.full(n, -np.inf)
    np.maximum.at(last, owner[before], day[before])
    recency = np.where(counts > 0, at - last, np.nan)
    cycle = latent["cycle"].to_numpy()
    lapsed = latent["lapse_day"].to_numpy() <= at
    return pd.DataFrame(
        {
            "customer_id": latent["customer_id"].to_numpy(),
            "n_orders": counts,
            "recency_days": recency,
            "overdue": recency / cycle,
            "rate_now": np.where(lapsed, LAPSED_RATE, 1.0) / cycle,
            "signed_up": latent["signup_day"].to_numpy() < at,
        }
    )


def planted_effects(latent: pd.DataFrame, state: pd.DataFrame, channel: str) -> pd.DataFrame:
    """Planted effect of a ``channel`` message on the next ``WINDOW_DAYS`` days, per customer.

    ``extra_order_probability``: chance the message adds an order (a bump in log cycles
    overdue peaking at PEAK_OVERDUE, full for repeat buyers); ``harm_share``: share of the
    natural orders in the window it makes a heavy recent buyer skip. ``true_incremental_revenue``
    = extra probability x order value - harm x expected natural window orders x order value.
    """
    strength = CHANNEL_STRENGTH[channel]
    overdue = state["overdue"].to_numpy()
    orders = state["n_orders"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        bump = np.exp(-0.5 * ((np.log(overdue) - np.log(PEAK_OVERDUE)) / PEAK_WIDTH) ** 2)
    bump = np.nan_to_num(bump, nan=0.0)
    repeat = np.where(orders >= 2, 1.0, ONE_TIME_FACTOR)
    extra = strength * PEAK_UPLIFT * bump * repeat * (orders > 0)
    heavy = (orders >= HEAVY_ORDERS) & (np.nan_to_num(overdue, nan=np.inf) < HEAVY_OVERDUE)
    harm = np.where(heavy, min(1.0, strength * HEAVY_HARM), 0.0)
    value = latent["order_value"].to_numpy()
    natural_orders = state["rate_now"].to_numpy() * WINDOW_DAYS
    revenue = extra * value - harm * natural_orders * value
    return pd.DataFrame(
        {
            "customer_id": state["customer_id"].to_numpy(),
            "extra_order_probability": extra,
            "harm_share": harm,
            "true_incremental_revenue": revenue,
        }
    )


def _fixed_day_stage(state: pd.DataFrame) -> np.ndarray:
    """The shop's own (fixed-day) stages the past campaign was stratified by."""
    recency = state["recency_days"].to_numpy()
    stage = np.select(
        [np.isnan(recency), recency <= 30, recency <= 90, recency <= 180],
        ["potential", "active", "semi_active", "silent"],
        "churned",
    )
    return stage.astype(object)


def generate_cycles_shop(
    n_customers: int = 20_000, seed: int = 0, *, as_of: pd.Timestamp | str = DEFAULT_AS_OF
) -> CyclesShop:
    """Generate the shop: natural orders, the past 3-arm campaign applied, truth as of ``as_of``."""
    if n_customers < 100:
        raise ValueError(f"n_customers must be at least 100. Got {n_customers} instead.")
    as_of = pd.Timestamp(as_of).normalize()
    origin = as_of - pd.Timedelta(days=HISTORY_DAYS)
    latent = _latent(n_customers, _stream(seed, "latent"))
    owner, day = _natural_orders(latent, _stream(seed, "orders"))
    customers = _customer_table(latent, origin, _stream(seed, "customers"))

    start_day = float(HISTORY_DAYS - CAMPAIGN_LEAD_DAYS)
    state = _state(latent, owner, day, start_day)
    campaign_design, campaign = _past_campaign(customers, state, seed)
    owner, day = _apply_campaign(
        latent, state, campaign, owner, day, start_day, _stream(seed, "campaign")
    )
    past = day < HISTORY_DAYS
    owner, day = owner[past], day[past]
    orders = _order_table(latent, owner, day, _stream(seed, "values"), origin)
    orders = orders.sort_values(["order_time", "customer_id"], kind="stable").reset_index(drop=True)
    orders.insert(0, "order_id", [f"C{i:08d}" for i in range(1, len(orders) + 1)])

    now = _state(latent, owner, day, float(HISTORY_DAYS))
    return CyclesShop(
        customers=customers,
        orders=orders,
        campaign=campaign.reset_index(drop=True),
        truth=_truth(latent, state, now),
        latent=latent,
        campaign_design=campaign_design,
        campaign_start=origin + pd.Timedelta(days=start_day),
        as_of=as_of,
        seed=seed,
    )


def _customer_table(
    latent: pd.DataFrame, origin: pd.Timestamp, rng: np.random.Generator
) -> pd.DataFrame:
    """The customer attributes a shop exports: signup date as text, gender, age, region and
    the two opt-ins."""
    n = len(latent)
    signup_date = (origin + pd.to_timedelta(latent["signup_day"], unit="D")).dt.strftime("%Y-%m-%d")
    return pd.DataFrame(
        {
            "customer_id": latent["customer_id"],
            "signup_date": signup_date,
            "gender": np.where(rng.random(n) < 0.55, "F", "M"),
            "age": latent["age"],
            "region": np.array(REGIONS)[rng.integers(0, len(REGIONS), n)],
            "sms_opt_in": (rng.random(n) < 0.8).astype(int),
            "email_opt_in": (rng.random(n) < 0.75).astype(int),
        }
    )


def _past_campaign(
    customers: pd.DataFrame, state: pd.DataFrame, seed: int
) -> tuple[ExperimentDesign, pd.DataFrame]:
    """The past campaign's design and its assignment (customer_id, lifecycle, arm): control /
    sms / edm randomized within fixed-day lifecycle stages among the signed-up customers opted
    in to both channels."""
    reachable = (
        state["signed_up"].to_numpy()
        & (customers["sms_opt_in"].to_numpy() == 1)
        & (customers["email_opt_in"].to_numpy() == 1)
    )
    frame = state.loc[reachable, ["customer_id", "recency_days", "n_orders"]].assign(
        lifecycle=_fixed_day_stage(state.loc[reachable])
    )
    share = (1.0 - CONTROL_SHARE) / 2
    campaign_design = design_experiment(
        frame.fillna({"recency_days": -1.0}),
        name=PAST_CAMPAIGN_NAME,
        strata=("lifecycle",),
        arms={"control": CONTROL_SHARE, "sms": share, "edm": share},
        salt=f"uplift-lab-cycles-{seed}",
        min_holdout=0,
    )
    arm_of = campaign_design.assignment.assignment.set_index("customer_id")["arm"].astype(str)
    campaign = frame[["customer_id", "lifecycle"]].assign(
        arm=frame["customer_id"].map(arm_of).to_numpy()
    )
    return campaign_design, campaign


def _apply_campaign(
    latent: pd.DataFrame,
    state: pd.DataFrame,
    campaign: pd.DataFrame,
    owner: np.ndarray,
    day: np.ndarray,
    start_day: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """The orders (owner, day) after the campaign: added orders soon after the message and
    natural orders in the window that a message made the customer skip."""
    arm = pd.Series("none", index=latent["customer_id"]).astype(object)
    arm.loc[campaign["customer_id"]] = campaign["arm"].to_numpy()
    arm = arm.to_numpy()
    keep = np.ones(len(owner), dtype=bool)
    in_window = (day >= start_day) & (day < start_day + WINDOW_DAYS)
    added_owner, added_day = [], []
    for channel in CHANNEL_STRENGTH:
        effects = planted_effects(latent, state, channel)
        sent = arm == channel
        helped = sent & (rng.random(len(latent)) < effects["extra_order_probability"].to_numpy())
        added_owner.append(np.flatnonzero(helped))
        delay = np.minimum(rng.exponential(2.0, int(helped.sum())), WINDOW_DAYS - 1e-3)
        added_day.append(start_day + delay)
        harm = effects["harm_share"].to_numpy()[owner]
        skipped = in_window & sent[owner] & (rng.random(len(owner)) < harm)
        keep &= ~skipped
    return (
        np.concatenate([owner[keep], *added_owner]),
        np.concatenate([day[keep], *added_day]),
    )


def _truth(latent: pd.DataFrame, past: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """The planted truth per customer: each channel's effect for a campaign starting now and
    for the past campaign (from the states ``now`` and ``past``), own cycle, cycles overdue."""
    truth = pd.DataFrame({"customer_id": latent["customer_id"]})
    past_effects = {c: planted_effects(latent, past, c) for c in CHANNEL_STRENGTH}
    for channel in CHANNEL_STRENGTH:
        effects = planted_effects(latent, now, channel)
        truth[f"true_incremental_revenue_{channel}"] = effects["true_incremental_revenue"]
        truth[f"extra_order_probability_{channel}"] = effects["extra_order_probability"]
    for channel, effects in past_effects.items():
        truth[f"past_true_incremental_revenue_{channel}"] = effects["true_incremental_revenue"]
    truth["cycle_days"] = latent["cycle"]
    truth["overdue_now"] = now["overdue"]
    return truth


def campaign_metadata(shop: CyclesShop) -> dict:
    """The past campaign's plan, in the form ``target`` records it in design.json."""
    return {
        "channels": {name: {"message_cost": cost} for name, cost in CHANNEL_COST.items()},
        "start": shop.campaign_start.date().isoformat(),
        "window_days": WINDOW_DAYS,
        "holdout": CONTROL_SHARE,
        "margin": MARGIN,
    }


def shop_metadata(shop: CyclesShop) -> dict:
    """What a reader of the written files needs: dates, window, costs, seed, the world."""
    return {
        "world": WORLD_NAME,
        "n_customers": len(shop.customers),
        "seed": shop.seed,
        "as_of": shop.as_of.date().isoformat(),
        "margin": MARGIN,
        "campaign": campaign_metadata(shop),
        "channel_cost": CHANNEL_COST,
        "categories": {
            name: {"cycle_days": c[1], "order_value": c[2]} for name, c in CATEGORIES.items()
        },
        "files": {
            "customers.csv": "customer attributes (signup_date text, gender, age, region, opt-ins)",
            "orders.csv": f"{HISTORY_DAYS} days of orders up to as_of, campaign window included",
            "campaign.csv": "the past campaign's assignment (customer_id, lifecycle, arm)",
            "truth.csv": "planted per-customer incremental revenue per channel for a campaign"
            " starting at as_of (never a feature)",
            f"{PAST_CAMPAIGN_NAME}/": "the past campaign as an experiment folder (design.json)",
        },
    }
