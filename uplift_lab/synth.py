"""A synthetic shop with planted truth, for the demo, the tests and the benchmarks.

The shop has customers, browsing events and two years of orders generated from a simple, explicit
process, so every number a model or report estimates can be checked against the truth:

* each buyer has a purchase cycle from a favourite category (grocery ~10 days ... electronics
  ~200 days) and goes through phases: active (full rate), declining (30% of the rate) and lapsed
  (2%); some never buy and only browse (potential customers);
* order values are heavy-tailed (log-normal per customer and per order);
* one past SMS campaign was sent to the opted-in customers, keeping a random 10% holdout per
  lifecycle stage. Its per-customer effect on the chance to order within the window is planted:
  lapsed customers (30-180 days since the last order) respond most, above all those still
  visiting the site; active ones respond little, churned ones hardly; young, very active, frequent
  buyers react negatively ("sleeping dogs"). Price-sensitive (low order value) customers respond
  more.

The effect works on observable state only (recency, frequency, order value, days since the last
visit, age), so a model can learn it, and :func:`true_effects` gives it for any campaign date.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from uplift_lab.design import ExperimentDesign, design_experiment

CHANNEL_RESPONSE = {"sms": 1.0, "mms": 1.4, "edm": 0.35}
"""True effect of each channel relative to SMS (MMS is richer, e-mail is mostly unread)."""

CHANNEL_COST = {"mms": 0.20, "sms": 0.05, "edm": 0.01}
"""Cost per message used by the demo (from the field: MMS 0.20, SMS 0.05, e-mail 0.01)."""

DEFAULT_AS_OF = pd.Timestamp("2026-10-20")
HISTORY_DAYS = 730
CAMPAIGN_LEAD_DAYS = 60  # the past campaign started this many days before "today"
WINDOW_DAYS = 14
HOLDOUT_FRACTION = 0.10
MARGIN = 0.30  # share of revenue that is profit in the generated shop
PAST_CAMPAIGN_NAME = "past_sms"
EVENT_HISTORY_DAYS = 240  # events are kept for the last 240 days only (they mark recent interest)

# category: (share of customers, mean days between orders, mean order value)
CATEGORIES = {
    "grocery": (0.30, 10.0, 60.0),
    "apparel": (0.35, 45.0, 150.0),
    "beauty": (0.20, 30.0, 100.0),
    "electronics": (0.15, 200.0, 800.0),
}
ORDER_VALUE_SIGMA = 0.6  # log-normal sigma of single order values around a customer's mean
DECLINE_RATE, LAPSED_RATE = 0.30, 0.02  # purchase rate multipliers after decline / after lapsing
FIRST_ORDER_DELAY_DAYS = (
    20.0  # exponential (memoryless) delay from sign-up to a buyer's first order
)
REGIONS = ("east", "north", "south", "west", "central")
ORDER_CHANNELS = ("app", "web", "mini_program")
EVENT_TYPES = ("visit", "search", "favorite", "cart")
EVENT_TYPE_SHARES = (0.6, 0.2, 0.1, 0.1)


@dataclass(frozen=True)
class SyntheticShop:
    """All tables of the generated shop plus the hidden parameters that define the truth."""

    customers: pd.DataFrame
    events: pd.DataFrame
    orders: pd.DataFrame
    campaign: pd.DataFrame
    truth: pd.DataFrame
    latent: pd.DataFrame
    campaign_start: pd.Timestamp
    window_days: int
    as_of: pd.Timestamp
    seed: int
    campaign_effect: float
    campaign_design: ExperimentDesign | None = None


def generate_shop(
    n_customers: int = 20_000,
    seed: int = 0,
    *,
    campaign_effect: float = 1.0,
    as_of: pd.Timestamp | str = DEFAULT_AS_OF,
) -> SyntheticShop:
    """Generate a shop of ``n_customers`` with two years of orders up to ``as_of``.

    ``campaign_effect`` scales the planted effect of the past campaign (0 gives a campaign that
    did nothing, for checking that models and reports then find nothing).
    """
    if n_customers < 100:
        raise ValueError(f"n_customers must be at least 100. Got {n_customers} instead.")
    rng = _stream(seed, "shop")
    as_of = pd.Timestamp(as_of).normalize()
    log_start = as_of - pd.Timedelta(days=HISTORY_DAYS)
    latent = _latent_customers(n_customers, rng)
    customers = _customer_table(latent, rng, log_start)
    orders = _natural_orders(latent, rng, log_start)
    events = _events(latent, rng, log_start)

    campaign_start = as_of - pd.Timedelta(days=CAMPAIGN_LEAD_DAYS)
    shop = SyntheticShop(
        customers=customers,
        events=events,
        orders=orders,
        campaign=pd.DataFrame(),
        truth=pd.DataFrame(),
        latent=latent,
        campaign_start=campaign_start,
        window_days=WINDOW_DAYS,
        as_of=as_of,
        seed=seed,
        campaign_effect=campaign_effect,
    )
    eligible = customers.loc[
        (customers["signup_time"] < campaign_start) & (customers["sms_opt_in"] == 1), "customer_id"
    ]
    state = customer_state(shop, campaign_start, customer_ids=eligible)
    campaign_design = _past_campaign_design(state, seed)
    arms = campaign_design.assignment.assignment.set_index("customer_id")["arm"]
    campaign = state[["customer_id", "lifecycle"]].assign(
        arm=state["customer_id"].map(arms).to_numpy()
    )
    effects = _effects_from_state(shop, state, campaign_start, "sms", WINDOW_DAYS)
    sent = campaign["arm"].to_numpy() == "send"
    orders = _apply_campaign_to_orders(shop, effects, sent, campaign_start, rng)
    truth = effects[
        ["customer_id", "p_control", "true_uplift_conversion", "true_uplift_revenue"]
    ].reset_index(drop=True)
    return replace(
        shop, orders=orders, campaign=campaign, truth=truth, campaign_design=campaign_design
    )


def _stream(seed: int, purpose: str) -> np.random.Generator:
    """A random stream for one purpose, independent of ``np.random.default_rng(seed)``.

    Code that draws its own arms with ``default_rng(seed)`` must not replay the shop's latent
    draws (that would confound arms with the planted effect).
    """
    tag = int.from_bytes(purpose.encode(), "little")
    return np.random.default_rng(np.random.SeedSequence([seed, tag]))


def _latent_customers(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Hidden per-customer parameters, times in days since the start of the order log."""
    names = list(CATEGORIES)
    shares = np.array([CATEGORIES[c][0] for c in names])
    category = rng.choice(len(names), size=n, p=shares / shares.sum())
    cycle = np.array([CATEGORIES[c][1] for c in names])[category]
    mean_value = np.array([CATEGORIES[c][2] for c in names])[category]

    signup = rng.uniform(0, HISTORY_DAYS - 7, size=n)
    buys = rng.random(n) < 0.85
    first_order = signup + rng.exponential(FIRST_ORDER_DELAY_DAYS, size=n)
    buys &= first_order < HISTORY_DAYS
    rate = rng.lognormal(0.0, 0.5, size=n) / cycle
    decline = first_order + rng.exponential(250.0, size=n)
    lapse = decline + rng.exponential(90.0, size=n)
    # Lapsed customers who keep browsing: the persuadable ones.
    keeps_visiting = rng.random(n) < 0.3
    value = mean_value * rng.lognormal(0.0, 0.4, size=n)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:07d}" for i in range(1, n + 1)],
            "category": np.array(names)[category],
            "signup_day": signup,
            "buys": buys,
            "first_order_day": np.where(buys, first_order, np.inf),
            "rate": rate,
            "decline_day": decline,
            "lapse_day": lapse,
            "keeps_visiting": keeps_visiting,
            "order_value": value,  # median order value; the mean is value * exp(sigma^2 / 2)
            "age": np.clip(rng.normal(33, 9, size=n), 18, 70).round().astype(int),
        }
    )


def _customer_table(
    latent: pd.DataFrame, rng: np.random.Generator, log_start: pd.Timestamp
) -> pd.DataFrame:
    n = len(latent)
    return pd.DataFrame(
        {
            "customer_id": latent["customer_id"],
            "signup_time": _to_time(log_start, latent["signup_day"].to_numpy()),
            "gender": np.where(rng.random(n) < 0.6, "F", "M"),
            "age": latent["age"],
            "region": np.array(REGIONS)[rng.integers(0, len(REGIONS), size=n)],
            "sms_opt_in": (rng.random(n) < 0.9).astype(int),
            "email_opt_in": (rng.random(n) < 0.7).astype(int),
        }
    )


def _phases(latent: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(start day, end day, orders per day) of the active, declining and lapsed phases."""
    start = np.minimum(latent["first_order_day"].to_numpy(), HISTORY_DAYS)
    decline = np.clip(latent["decline_day"].to_numpy(), start, HISTORY_DAYS)
    lapse = np.clip(latent["lapse_day"].to_numpy(), decline, HISTORY_DAYS)
    rate = np.where(latent["buys"], latent["rate"], 0.0)
    end = np.full_like(start, HISTORY_DAYS)
    return [
        (start, decline, rate),
        (decline, lapse, rate * DECLINE_RATE),
        (lapse, end, rate * LAPSED_RATE),
    ]


def _poisson_times(
    rng: np.random.Generator, start: np.ndarray, end: np.ndarray, rate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Customer index and time of each point of a Poisson process on [start, end)."""
    duration = np.maximum(end - start, 0.0)
    counts = rng.poisson(rate * duration)
    owner = np.repeat(np.arange(len(start)), counts)
    times = start[owner] + rng.random(owner.size) * duration[owner]
    return owner, times


def _natural_orders(
    latent: pd.DataFrame, rng: np.random.Generator, log_start: pd.Timestamp
) -> pd.DataFrame:
    owners = [np.flatnonzero(latent["buys"].to_numpy())]
    days = [latent["first_order_day"].to_numpy()[owners[0]]]
    for start, end, rate in _phases(latent):
        owner, times = _poisson_times(rng, start, end, rate)
        owners.append(owner)
        days.append(times)
    owner = np.concatenate(owners)
    day = np.concatenate(days)
    return _order_rows(latent, rng, owner, day, log_start)


def _order_rows(
    latent: pd.DataFrame,
    rng: np.random.Generator,
    owner: np.ndarray,
    day: np.ndarray,
    log_start: pd.Timestamp,
) -> pd.DataFrame:
    """Orders for (customer index, day) pairs, with values, categories and channels drawn."""
    names = np.array(list(CATEGORIES))
    own_category = latent["category"].to_numpy()[owner]
    other = names[rng.integers(0, len(names), size=owner.size)]
    frame = pd.DataFrame(
        {
            "customer_id": latent["customer_id"].to_numpy()[owner],
            "order_time": _to_time(log_start, day),
            "amount": _order_values(latent, rng, owner),
            "category": np.where(rng.random(owner.size) < 0.8, own_category, other),
            "channel": np.array(ORDER_CHANNELS)[rng.integers(0, 3, size=owner.size)],
        }
    )
    return frame


def _order_values(latent: pd.DataFrame, rng: np.random.Generator, owner: np.ndarray) -> np.ndarray:
    value = latent["order_value"].to_numpy()[owner]
    return np.round(value * rng.lognormal(0.0, ORDER_VALUE_SIGMA, size=owner.size), 2)


def _finish_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """Sort by time and customer, number the orders O0000001..."""
    orders = orders.sort_values(["order_time", "customer_id"], kind="stable").reset_index(drop=True)
    orders.insert(0, "order_id", [f"O{i:08d}" for i in range(1, len(orders) + 1)])
    return orders


def _events(
    latent: pd.DataFrame, rng: np.random.Generator, log_start: pd.Timestamp
) -> pd.DataFrame:
    """Browsing events in the last EVENT_HISTORY_DAYS: buyers browse ~2.5x as often as they buy,
    lapsed customers who keep visiting browse about weekly, non-buyers browse for a while."""
    window_start = float(HISTORY_DAYS - EVENT_HISTORY_DAYS)
    owners, days = [], []
    for start, end, rate in _phases(latent):
        owner, times = _poisson_times(
            rng, np.maximum(start, window_start), end, np.minimum(2.5 * rate, 0.4)
        )
        owners.append(owner)
        days.append(times)
    lapsed_start = np.maximum(latent["decline_day"].to_numpy(), window_start)
    browse_rate = np.where(latent["keeps_visiting"] & latent["buys"], 1 / 7, 0.0)
    owner, times = _poisson_times(
        rng, lapsed_start, np.full(len(latent), HISTORY_DAYS), browse_rate
    )
    owners.append(owner)
    days.append(times)
    signup = latent["signup_day"].to_numpy()
    browse_end = signup + rng.exponential(120.0, size=len(latent))
    potential_rate = np.where(latent["buys"], 0.0, 1 / 10)
    owner, times = _poisson_times(
        rng, np.maximum(signup, window_start), np.minimum(browse_end, HISTORY_DAYS), potential_rate
    )
    owners.append(owner)
    days.append(times)
    owner = np.concatenate(owners)
    day = np.concatenate(days)
    kind = rng.choice(len(EVENT_TYPES), size=owner.size, p=EVENT_TYPE_SHARES)
    events = pd.DataFrame(
        {
            "customer_id": latent["customer_id"].to_numpy()[owner],
            "event_time": _to_time(log_start, day),
            "event_type": np.array(EVENT_TYPES)[kind],
        }
    )
    return events.sort_values(["event_time", "customer_id"], kind="stable").reset_index(drop=True)


def _to_time(origin: pd.Timestamp, days: np.ndarray) -> pd.Series:
    """Days since ``origin`` as timestamps rounded to the second."""
    seconds = np.round(np.asarray(days, dtype=float) * 86_400).astype("int64")
    return pd.Series(origin + pd.to_timedelta(seconds, unit="s"))


def customer_state(
    shop: SyntheticShop, at: pd.Timestamp, customer_ids: pd.Series | None = None
) -> pd.DataFrame:
    """Observable state of customers just before ``at``: recency, frequency, value, last visit.

    Also carries the hidden purchase rate at ``at``, which fixes the chance to buy anyway.
    """
    at = pd.Timestamp(at)
    ids = shop.customers["customer_id"] if customer_ids is None else pd.Series(customer_ids)
    before = shop.orders[shop.orders["order_time"] < at]
    year = before[before["order_time"] >= at - pd.Timedelta(days=365)]
    last_order = before.groupby("customer_id")["order_time"].max()
    n_year = year.groupby("customer_id").size()
    n_all = before.groupby("customer_id").size()
    aov = before.groupby("customer_id")["amount"].mean()
    seen = shop.events[shop.events["event_time"] < at]
    last_event = seen.groupby("customer_id")["event_time"].max()

    state = pd.DataFrame({"customer_id": ids.to_numpy()})
    key = state["customer_id"]
    state["recency_days"] = (at - key.map(last_order)).dt.total_seconds() / 86_400
    state["frequency"] = key.map(n_year).fillna(0).astype(int)
    state["n_orders"] = key.map(n_all).fillna(0).astype(int)
    state["aov"] = key.map(aov)
    state["days_since_last_event"] = (at - key.map(last_event)).dt.total_seconds() / 86_400
    latent = shop.latent.set_index("customer_id").loc[key]
    state["age"] = latent["age"].to_numpy()
    state["expected_order_value"] = latent["order_value"].to_numpy() * np.exp(
        ORDER_VALUE_SIGMA**2 / 2
    )
    state["rate_now"] = _rate_at(latent, _days_since_start(shop, at))
    state["lifecycle"] = _stage(state)
    return state


def _days_since_start(shop: SyntheticShop, at: pd.Timestamp) -> float:
    log_start = shop.as_of - pd.Timedelta(days=HISTORY_DAYS)
    return (pd.Timestamp(at) - log_start).total_seconds() / 86_400


def _rate_at(latent: pd.DataFrame, day: float) -> np.ndarray:
    """Hidden orders-per-day at ``day``; before a buyer's first order, the first-order hazard."""
    buys = latent["buys"].to_numpy()
    rate = np.where(buys, latent["rate"], 0.0)
    factor = np.select(
        [day < latent["decline_day"].to_numpy(), day < latent["lapse_day"].to_numpy()],
        [1.0, DECLINE_RATE],
        LAPSED_RATE,
    )
    waiting = buys & (day < latent["first_order_day"].to_numpy())
    return np.where(waiting, 1.0 / FIRST_ORDER_DELAY_DAYS, rate * factor)


def _stage(state: pd.DataFrame) -> np.ndarray:
    """Lifecycle stage by the default fixed rules (30/90/180 days); stratifies the campaign."""
    recency = state["recency_days"].to_numpy()
    ordered = state["n_orders"].to_numpy() > 0
    return np.select(
        [
            ~ordered,
            recency > 180,
            recency > 90,
            (state["n_orders"].to_numpy() == 1) & (recency <= 30),
            recency <= 30,
        ],
        ["potential", "churned", "silent", "new", "active"],
        "semi_active",
    )


def planted_uplift(state: pd.DataFrame, effect: float = 1.0) -> np.ndarray:
    """The planted absolute lift in the chance to order within the window, before capping.

    Lapsed (30-180 days) customers respond most, more so when they visited recently and when
    their orders are cheap; active, new and potential customers respond little, churned hardly;
    young, very active frequent buyers react negatively.
    """
    recency = state["recency_days"].to_numpy()
    never = np.isnan(recency)
    recency = np.where(never, np.inf, recency)
    base = np.select(
        [never, recency <= 30, recency <= 90, recency <= 180],
        [0.010, 0.010, 0.060, 0.050],
        0.006,
    )
    last_visit = np.nan_to_num(state["days_since_last_event"].to_numpy(), nan=np.inf)
    engagement = np.select(
        [last_visit <= 7, last_visit <= 14, last_visit <= 45], [3.0, 1.5, 0.4], 0.05
    )
    aov = np.nan_to_num(state["aov"].to_numpy(), nan=100.0)
    price_sensitivity = np.where(aov < 100, 1.5, 0.6)
    uplift = base * engagement * price_sensitivity
    sleeping_dog = (
        (state["age"].to_numpy() < 28) & (recency <= 30) & (state["frequency"].to_numpy() >= 6)
    )
    uplift = np.where(sleeping_dog, -0.04, uplift)
    return effect * uplift


def _effects_from_state(
    shop: SyntheticShop, state: pd.DataFrame, start: pd.Timestamp, channel: str, window_days: int
) -> pd.DataFrame:
    if channel not in CHANNEL_RESPONSE:
        raise ValueError(f"channel must be one of {sorted(CHANNEL_RESPONSE)}. Got {channel!r}.")
    expected_orders = state["rate_now"].to_numpy() * window_days
    p_control = 1.0 - np.exp(-expected_orders)
    uplift = planted_uplift(state, shop.campaign_effect) * CHANNEL_RESPONSE[channel]
    # Feasible probabilities: a harmful message can at most cancel 80% of natural buying.
    uplift = np.clip(uplift, -0.8 * p_control, np.maximum(0.95 - p_control, 0.0))
    value = state["expected_order_value"].to_numpy()
    # A helpful message adds one order when the customer would not have bought; a harmful one
    # cancels all of the window's natural orders (expected count / P(any)) with some probability.
    orders_if_buying = np.divide(
        expected_orders, p_control, out=np.ones_like(p_control), where=p_control > 0
    )
    revenue = np.where(uplift >= 0, uplift * value, uplift * orders_if_buying * value)
    return pd.DataFrame(
        {
            "customer_id": state["customer_id"].to_numpy(),
            "lifecycle": state["lifecycle"].to_numpy(),
            "p_control": p_control,
            "true_uplift_conversion": uplift,
            "true_uplift_revenue": revenue,
            "expected_order_value": value,
            "expected_orders": expected_orders,
        }
    )


def true_effects(
    shop: SyntheticShop, start: pd.Timestamp | str, channel: str = "sms"
) -> pd.DataFrame:
    """Planted truth for a campaign on ``channel`` starting at ``start``, for every customer.

    Columns: customer_id, lifecycle (fixed-rule stage at ``start``), p_control (chance to order in
    the window anyway), true_uplift_conversion, true_uplift_revenue, expected_order_value.
    """
    start = pd.Timestamp(start)
    state = customer_state(shop, start)
    effects = _effects_from_state(shop, state, start, channel, shop.window_days)
    return effects.drop(columns="expected_orders")


def _past_campaign_design(state: pd.DataFrame, seed: int) -> ExperimentDesign:
    """The past campaign as uplift-lab's design would have made it: exactly 10% holdout per
    lifecycle stage by salted hash (salt from the seed, so each seed is a new randomization)."""
    covariates = state[["customer_id", "lifecycle", "recency_days", "frequency", "aov"]]
    return design_experiment(
        covariates.fillna({"recency_days": -1.0, "aov": 0.0}),
        name=PAST_CAMPAIGN_NAME,
        strata=("lifecycle",),
        holdout=HOLDOUT_FRACTION,
        salt=f"uplift-lab-synth-{seed}",
        min_holdout=0,
    )


def _treatment_draws(
    effects: pd.DataFrame, sent: np.ndarray, bought_anyway: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Which sent customers gain an order (helped) and which lose their orders (harmed).

    With p0 = P(buy anyway) and lift u: a non-buyer is helped with probability u / (1 - p0) and a
    buyer harmed with probability -u / p0, so P(buy | sent) = p0 + u exactly.
    """
    p0 = effects["p_control"].to_numpy()
    uplift = effects["true_uplift_conversion"].to_numpy()
    draw = rng.random(len(effects))
    help_prob = np.divide(uplift, 1 - p0, out=np.zeros_like(p0), where=(uplift > 0) & (p0 < 1))
    harm_prob = np.divide(-uplift, p0, out=np.zeros_like(p0), where=(uplift < 0) & (p0 > 0))
    helped = sent & ~bought_anyway & (draw < help_prob)
    harmed = sent & bought_anyway & (draw < harm_prob)
    return helped, harmed


def _apply_campaign_to_orders(
    shop: SyntheticShop,
    effects: pd.DataFrame,
    sent: np.ndarray,
    start: pd.Timestamp,
    rng: np.random.Generator,
) -> pd.DataFrame:
    orders = shop.orders
    end = start + pd.Timedelta(days=shop.window_days)
    in_window = (orders["order_time"] >= start) & (orders["order_time"] < end)
    buyers = set(orders.loc[in_window, "customer_id"])
    ids = effects["customer_id"].to_numpy()
    bought_anyway = np.fromiter((c in buyers for c in ids), bool, len(ids))
    helped, harmed = _treatment_draws(effects, sent, bought_anyway, rng)

    drop = in_window & orders["customer_id"].isin(set(ids[harmed]))
    latent_index = pd.Index(shop.latent["customer_id"]).get_indexer(ids[helped])
    # Induced orders come soon after the message: exponential delay (mean 2 days) within the window.
    delay = np.minimum(rng.exponential(2.0, size=latent_index.size), shop.window_days - 1e-3)
    day = _days_since_start(shop, start) + delay
    log_start = shop.as_of - pd.Timedelta(days=HISTORY_DAYS)
    induced = _order_rows(shop.latent, rng, latent_index, day, log_start)
    combined = pd.concat([orders.loc[~drop], induced], ignore_index=True)
    return _finish_orders(combined)


def simulate_campaign(
    shop: SyntheticShop,
    sends: pd.DataFrame,
    start: pd.Timestamp | str,
    seed: int,
    window_days: int | None = None,
) -> pd.DataFrame:
    """Draw outcomes of a new campaign from the planted truth.

    ``sends`` has ``customer_id`` and ``channel`` (a key of CHANNEL_RESPONSE, or None / "control"
    for customers kept out). Returns customer_id, converted (0/1) and revenue within the window.
    """
    start = pd.Timestamp(start)
    window = shop.window_days if window_days is None else window_days
    rng = _stream(seed, "simulate")
    state = customer_state(shop, start, customer_ids=sends["customer_id"])
    channel = sends["channel"].fillna("control").astype(str).to_numpy()
    converted = np.zeros(len(sends), dtype=int)
    revenue = np.zeros(len(sends))
    for name in np.unique(channel):
        rows = np.flatnonzero(channel == name)
        effects = _effects_from_state(
            shop, state.iloc[rows], start, name if name in CHANNEL_RESPONSE else "sms", window
        )
        n_natural = rng.poisson(effects["expected_orders"].to_numpy())
        sent = np.full(rows.size, name in CHANNEL_RESPONSE)
        helped, harmed = _treatment_draws(effects, sent, n_natural > 0, rng)
        n_orders = np.where(harmed, 0, n_natural) + helped
        value = effects["expected_order_value"].to_numpy() / np.exp(ORDER_VALUE_SIGMA**2 / 2)
        totals = np.zeros(rows.size)
        owner = np.repeat(np.arange(rows.size), n_orders)
        amounts = np.round(value[owner] * rng.lognormal(0.0, ORDER_VALUE_SIGMA, owner.size), 2)
        np.add.at(totals, owner, amounts)
        converted[rows] = (n_orders > 0).astype(int)
        revenue[rows] = totals
    return pd.DataFrame(
        {"customer_id": sends["customer_id"].to_numpy(), "converted": converted, "revenue": revenue}
    )


def campaign_metadata(shop: SyntheticShop) -> dict:
    """The past campaign's plan, in the form `target` records it in design.json."""
    return {
        "channel": "sms",
        "channels": {"send": {"message_cost": CHANNEL_COST["sms"]}},
        "start": shop.campaign_start.date().isoformat(),
        "window_days": shop.window_days,
        "holdout": HOLDOUT_FRACTION,
        "margin": MARGIN,
        "effect_scale": shop.campaign_effect,
    }


def shop_metadata(shop: SyntheticShop) -> dict:
    """What a reader of the written files needs to know (dates, window, costs, seed)."""
    return {
        "n_customers": len(shop.customers),
        "seed": shop.seed,
        "as_of": shop.as_of.date().isoformat(),
        "margin": MARGIN,
        "campaign": campaign_metadata(shop),
        "channel_cost": CHANNEL_COST,
        "channel_response": CHANNEL_RESPONSE,
        "files": {
            "customers.csv": "customer attributes (signup_time, gender, age, region, opt-ins)",
            "events.csv": "browsing events of the last 240 days",
            "orders.csv": "two years of orders up to as_of, including the campaign window",
            "campaign.csv": "the past SMS campaign's assignment (customer_id, lifecycle, arm)",
            "truth.csv": "planted per-customer effect of the past campaign (never a feature)",
            f"{PAST_CAMPAIGN_NAME}/": "the past campaign as an experiment folder (design.json)",
        },
    }
