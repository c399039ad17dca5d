"""uplift_lab.design: exact allocation, hashing, stability, uniformity, the whole design.

Power, balance and the experiment folder: test_power.py, test_balance.py, test_experiment.py.

References are independent: hashlib for the hash, a brute-force ranking for the assignment rule,
statsmodels/scipy called here for power and chi-square, pandas groupby for the SMD.
"""

from __future__ import annotations

import hashlib
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from uplift_lab import design as design_module
from uplift_lab.design import assign, customer_hashes, default_salt, design_experiment
from uplift_lab.design_spec import DesignSpec
from uplift_lab.errors import InputError
from uplift_lab.report.notice_text import render_notice
from uplift_lab.strata import MAX_STRATA, allocate_counts


def customers_frame(sizes: dict[str, int], seed: int = 0, prefix: str = "c") -> pd.DataFrame:
    """Customers with string ids and RFM-like covariates, ``sizes[stratum]`` per stratum."""
    rng = np.random.default_rng(seed)
    strata = np.repeat(list(sizes), list(sizes.values()))
    n = len(strata)
    return pd.DataFrame(
        {
            "customer_id": [f"{prefix}{i:06d}" for i in range(n)],
            "lifecycle": strata,
            "recency_days": rng.exponential(60, n).round(),
            "frequency": rng.poisson(3, n),
            "monetary": rng.gamma(2.0, 50.0, n),
        }
    )


def reference_hash(salt: str, customer_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{salt}:{customer_id}".encode()).digest()[:8], "big")


def brute_force_arms(frame, salt, arm_counts) -> dict[str, str]:
    """The documented rule, written out: sort each stratum by hash, arms take consecutive ranks."""
    arms = {}
    for stratum, group in frame.groupby("lifecycle"):
        ranked = sorted(group["customer_id"], key=lambda cid: (reference_hash(salt, cid), cid))
        position = 0
        for arm, count in arm_counts[stratum].items():
            for cid in ranked[position : position + count]:
                arms[cid] = arm
            position += count
    return arms


# ------------------------------------------------------------------------------------------
# Allocation


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 100_000),
    weights=st.lists(st.integers(1, 100), min_size=2, max_size=6),
)
def test_allocate_counts_is_largest_remainder(n, weights):
    fractions = [Fraction(w, sum(weights)) for w in weights]
    counts = allocate_counts(n, fractions)
    assert sum(counts) == n
    quotas = [n * f for f in fractions]
    for count, quota in zip(counts, quotas, strict=True):
        assert math.floor(quota) <= count <= math.floor(quota) + 1
    # Extra seats go to the largest remainders: no arm without one has a larger remainder.
    got = [c > math.floor(q) for c, q in zip(counts, quotas, strict=True)]
    remainders = [q - math.floor(q) for q in quotas]
    if any(got) and not all(got):
        assert min(r for r, g in zip(remainders, got, strict=True) if g) >= max(
            r for r, g in zip(remainders, got, strict=True) if not g
        )


def test_allocate_counts_reads_decimal_fractions_exactly():
    # 20 * 0.45 is 9.000000000000002 in floating point; the exact quota is 9.
    assert allocate_counts(20, [0.1, 0.45, 0.45]) == [2, 9, 9]
    assert allocate_counts(10, [0.5, 0.5]) == [5, 5]
    assert allocate_counts(3, [0.5, 0.5]) == [2, 1]  # a tie goes to the earlier arm


# ------------------------------------------------------------------------------------------
# Hashing and the assignment rule


def test_customer_hashes_equal_hashlib_sha256():
    ids = ["0001", "c42", "顾客-7", "x" * 300, ""]
    expected = [reference_hash("pepper", cid) for cid in ids]
    assert customer_hashes(ids, "pepper").tolist() == expected


def test_duckdb_and_hashlib_paths_agree(monkeypatch):
    ids = [f"id-{i}" for i in np.random.default_rng(0).permutation(2000)] + ["顾客", "Z", "a"]
    small = design_module._sorted_positions_and_hashes(pa.array(ids), "s")
    monkeypatch.setattr(design_module, "DUCKDB_MIN_ROWS", 0)
    large = design_module._sorted_positions_and_hashes(pa.array(ids), "s")
    assert small[0].tolist() == large[0].tolist() == sorted(range(len(ids)), key=ids.__getitem__)
    assert small[1].tolist() == large[1].tolist()
    assert customer_hashes(ids, "s").tolist() == [reference_hash("s", cid) for cid in ids]


def test_default_salt_is_derived_from_the_name_and_recorded():
    frame = customers_frame({"active": 30})
    result = assign(frame, name="spring")
    assert result.salt == default_salt("spring")
    assert default_salt("spring") != default_salt("autumn")


def test_assignment_follows_the_documented_hash_ranking():
    frame = customers_frame({"active": 37, "silent": 23, "churned": 5}, seed=1)
    result = assign(frame, name="rule", arms={"control": 0.2, "sms": 0.5, "edm": 0.3})
    expected = brute_force_arms(frame, result.salt, result.counts)
    got = dict(zip(result.assignment["customer_id"], result.assignment["arm"], strict=True))
    assert got == expected


def test_assignment_is_sorted_by_id_with_string_columns():
    frame = customers_frame({"active": 50, "silent": 20}).sample(frac=1, random_state=0)
    table = assign(frame, name="order").assignment
    assert list(table.columns) == ["customer_id", "stratum", "arm"]
    assert table["customer_id"].tolist() == sorted(frame["customer_id"])
    for column in table.columns:
        assert pd.api.types.is_string_dtype(table[column])


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 400), min_size=1, max_size=5),
    weights=st.lists(st.integers(1, 20), min_size=2, max_size=4),
    seed=st.integers(0, 10_000),
)
def test_counts_per_stratum_are_exact_for_any_size_and_fractions(sizes, weights, seed):
    total = sum(weights)
    arms = {"control": round(weights[0] / total, 4)}
    for i, w in enumerate(weights[1:], start=1):
        arms[f"arm{i}"] = round(w / total, 4)
    arms["control"] = round(1 - sum(v for k, v in arms.items() if k != "control"), 4)
    frame = customers_frame({f"s{i}": n for i, n in enumerate(sizes)}, seed=seed)
    result = assign(frame, name="prop", arms=arms, salt=str(seed))
    observed = result.assignment.groupby(["stratum", "arm"]).size()
    for i, n in enumerate(sizes):
        stratum = f"s{i}"
        assert sum(result.counts[stratum].values()) == n
        for arm, fraction in arms.items():
            count = int(observed.get((stratum, arm), 0))
            assert count == result.counts[stratum][arm]
            assert abs(count - n * fraction) < 1  # exact up to rounding, per stratum


def test_shuffled_file_gives_the_identical_assignment():
    frame = customers_frame({"active": 300, "silent": 150, "churned": 40}, seed=2)
    first = assign(frame, name="shuffle").assignment
    shuffled = frame.sample(frac=1, random_state=11).reset_index(drop=True)
    second = assign(shuffled, name="shuffle").assignment
    pd.testing.assert_frame_equal(first, second)


@settings(max_examples=25, deadline=None)
@given(added=st.integers(1, 40), seed=st.integers(0, 1000))
def test_adding_customers_moves_at_most_the_boundary_customers(added, seed):
    """Adding k customers to a stratum moves at most k + 1 existing customers per arm boundary.

    Existing customers keep their hash order, so each arm is still a run of consecutive ranks;
    each of the (arms - 1) boundaries shifts by at most k + 1 existing customers (k newcomers
    in front of it plus one from rounding). Other strata do not change at all.
    """
    arms = {"control": 0.1, "sms": 0.45, "edm": 0.45}
    old = customers_frame({"active": 500, "silent": 200}, seed=seed)
    newcomers = customers_frame({"active": added}, seed=seed + 1, prefix="new")
    both = pd.concat([old, newcomers], ignore_index=True)
    before = assign(old, name="grow", arms=arms).assignment.set_index("customer_id")["arm"]
    after = assign(both, name="grow", arms=arms).assignment.set_index("customer_id")["arm"]
    moved = before != after.loc[before.index]
    strata = old.set_index("customer_id")["lifecycle"].loc[before.index]
    assert int(moved[strata == "silent"].sum()) == 0
    assert int(moved[strata == "active"].sum()) <= (len(arms) - 1) * (added + 1)


def test_control_membership_is_uniform_over_repeated_salts():
    """Over many salts every customer is in control equally often (chi-square goodness of fit)."""
    frame = customers_frame({"active": 40})
    n_salts = 300
    in_control = np.zeros(len(frame))
    for salt in range(n_salts):
        table = assign(frame, name="u", holdout=0.25, salt=f"salt-{salt}").assignment
        in_control += (table["arm"] == "control").to_numpy()
    expected = np.full(len(frame), n_salts * 0.25)
    assert in_control.sum() == expected.sum()  # exactly 10 of 40 each time
    assert stats.chisquare(in_control, expected).pvalue > 0.001


def test_control_share_does_not_depend_on_id_order():
    frame = customers_frame({"active": 20_000})
    table = assign(frame, name="deciles", holdout=0.1).assignment
    decile = np.arange(len(table)) * 10 // len(table)  # table is sorted by id
    observed = pd.Series(table["arm"].eq("control").to_numpy()).groupby(decile).sum()
    assert stats.chisquare(observed, np.full(10, observed.sum() / 10)).pvalue > 0.001


def test_per_stratum_holdout_and_segment_selection():
    frame = customers_frame({"active": 100, "semi_active": 50, "silent": 80})
    result = assign(
        frame,
        name="mixed",
        holdout=0.1,
        holdout_by_stratum={"silent": 0.25},
        segments=["semi_active", "silent"],
    )
    assert set(result.assignment["stratum"]) == {"semi_active", "silent"}
    assert result.counts == {
        "semi_active": {"control": 5, "send": 45},
        "silent": {"control": 20, "send": 60},
    }
    assert result.fractions["silent"] == {"control": 0.25, "send": 0.75}


def test_multi_arm_per_stratum_holdout_keeps_treated_proportions():
    frame = customers_frame({"silent": 100})
    result = assign(
        frame,
        name="m",
        arms={"control": 0.1, "sms": 0.6, "edm": 0.3},
        holdout_by_stratum={"silent": 0.4},
    )
    assert result.counts["silent"] == {"control": 40, "sms": 40, "edm": 20}


def test_several_strata_columns_are_joined_with_a_bar():
    frame = customers_frame({"active": 40, "silent": 40})
    frame["spend_band"] = np.tile(["<20", "20+"], 40)
    result = assign(frame, name="two", strata=("lifecycle", "spend_band"), segments=["silent"])
    assert set(result.counts) == {"silent|20+", "silent|<20"}
    assert sum(sum(c.values()) for c in result.counts.values()) == 40


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"holdout": 0.0}, "'holdout' parameter of design must be in (0, 1). Got 0 instead"),
        ({"holdout": 1.0}, "'holdout' parameter of design must be in (0, 1). Got 1 instead"),
        ({"arms": {"control": 0.2, "send": 0.7}}, "fractions that sum to 1"),
        ({"arms": {"a": 0.5, "b": 0.5}}, "control arm 'control'"),
        ({"strata": ("nope",)}, "unknown stratum column 'nope'"),
        ({"segments": ["vip"]}, "segment 'vip' matches no stratum"),
        ({"holdout_by_stratum": {"vip": 0.2}}, "matches no stratum"),
    ],
)
def test_bad_parameters_raise_input_errors(kwargs, message):
    frame = customers_frame({"active": 20, "silent": 20})
    with pytest.raises(InputError, match=None) as info:
        assign(frame, name="bad", **kwargs)
    assert message in str(info.value)


def test_near_unique_strata_are_refused():
    frame = customers_frame({"active": MAX_STRATA + 1})
    with pytest.raises(InputError, match="more than 2,000"):
        assign(frame, name="many", strata=("customer_id",))


def test_duplicate_ids_are_refused():
    frame = customers_frame({"active": 20})
    frame.loc[3, "customer_id"] = frame.loc[1, "customer_id"]
    with pytest.raises(InputError, match="duplicate id"):
        assign(frame, name="dup")


def test_strata_are_ordered_by_lifecycle_stage_and_band_edge():
    frame = customers_frame({"silent": 8, "active": 8, "potential": 8})
    frame["spend_band"] = np.tile(["35+", "none", "10-20", "<10"], 6)
    result = assign(frame, name="order", strata=("lifecycle", "spend_band"), segments=["active"])
    assert list(result.counts) == ["active|<10", "active|10-20", "active|35+", "active|none"]
    assert list(assign(frame, name="order").counts) == ["potential", "active", "silent"]


def test_missing_stratum_values_form_their_own_stratum():
    frame = customers_frame({"active": 20, "silent": 20})
    frame["lifecycle"] = frame["lifecycle"].where(frame.index % 5 != 0)
    result = assign(frame, name="na")
    assert sum(result.counts["(missing)"].values()) == 8


# ------------------------------------------------------------------------------------------
# The whole design


def small_design(**kwargs):
    frame = customers_frame({"active": 400, "silent": 300}, seed=3)
    return design_experiment(frame, name="folder", **kwargs)


def test_strict_refuses_small_holdouts_and_default_reports_them():
    design = small_design(min_holdout=35)
    assert design.small_holdouts == {"silent": 30}
    assert any("below --min-holdout 35" in render_notice(w) for w in design.warnings)
    with pytest.raises(InputError, match="smaller than 'min_holdout' 35"):
        small_design(min_holdout=35, strict=True)


def test_baseline_column_gives_per_stratum_baselines():
    frame = customers_frame({"active": 400, "silent": 400}, seed=4)
    every = np.where(frame["lifecycle"] == "active", 10, 25)
    frame["converted_before"] = (np.arange(len(frame)) % every == 0).astype(int)
    design = design_experiment(frame, name="b", baseline_column="converted_before")
    table = design.power.table.set_index("stratum")
    expected = frame.groupby("lifecycle")["converted_before"].mean()
    assert table.loc["active", "baseline"] == pytest.approx(expected["active"])
    assert table.loc["silent", "baseline"] == pytest.approx(expected["silent"])


# ------------------------------------------------------------------------------------------
# The synthetic shop (planted truth)


def test_design_on_the_shop_measures_the_planted_uplift():
    """A campaign run on the design's arms recovers the planted average uplift (within 4 SE)."""
    synth = pytest.importorskip("uplift_lab.synth")
    shop = synth.generate_shop(8_000, seed=3)
    truth = synth.true_effects(shop, shop.as_of)
    customers = truth[["customer_id", "lifecycle", "true_uplift_conversion"]]
    design = design_experiment(
        customers, name="shop", holdout=0.5, min_holdout=0, covariates=["true_uplift_conversion"]
    )
    table = design.assignment.assignment
    for stratum, size in customers["lifecycle"].value_counts().items():
        assert design.assignment.counts[stratum]["control"] == (size + 1) // 2  # tie: control
    # The hash knows nothing about customers: the planted effect does not differ between arms.
    planted_by_id = customers.set_index("customer_id")["true_uplift_conversion"]
    planted_in_table = planted_by_id.loc[table["customer_id"]].to_numpy()
    in_send = table["arm"].eq("send").to_numpy()
    assert stats.ttest_ind(planted_in_table[in_send], planted_in_table[~in_send]).pvalue > 0.001
    sends = pd.DataFrame(
        {
            "customer_id": table["customer_id"],
            "channel": np.where(table["arm"] == "send", "sms", None),
        }
    )
    outcome = synth.simulate_campaign(shop, sends, shop.as_of, seed=9)
    converted = outcome.set_index("customer_id")["converted"].loc[table["customer_id"]].to_numpy()
    send = table["arm"].eq("send").to_numpy()
    p_send, p_control = converted[send].mean(), converted[~send].mean()
    se = math.sqrt(p_send * (1 - p_send) / send.sum() + p_control * (1 - p_control) / (~send).sum())
    planted = truth["true_uplift_conversion"].mean()
    assert abs((p_send - p_control) - planted) < 4 * se


def test_fractions_within_rounding_of_one_still_fill_every_customer():
    frame = customers_frame({"active": 10_000})
    result = assign(
        frame, name="thirds", arms={"control": 0.3333333, "a": 0.3333333, "b": 0.3333333}
    )
    assert sum(result.counts["active"].values()) == 10_000
    assert sorted(result.counts["active"].values()) == [3333, 3333, 3334]
    assert result.assignment["arm"].value_counts().to_dict() == result.counts["active"]


def test_a_design_spec_and_its_fields_as_keywords_give_the_same_design():
    frame = customers_frame({"active": 300, "silent": 200}, seed=8)
    spec = DesignSpec(name="spec", holdout=0.2, target_lift=0.03, salt="s")
    by_spec = design_experiment(frame, spec)
    by_keywords = design_experiment(frame, name="spec", holdout=0.2, target_lift=0.03, salt="s")
    over_spec = design_experiment(
        frame, DesignSpec(name="spec"), holdout=0.2, target_lift=0.03, salt="s"
    )
    for other in (by_keywords, over_spec):
        pd.testing.assert_frame_equal(other.assignment.assignment, by_spec.assignment.assignment)
        pd.testing.assert_frame_equal(other.power.table, by_spec.power.table)
        assert other.warnings == by_spec.warnings


@pytest.mark.parametrize(
    ("keywords", "said"),
    [
        ({"covariates": ["nope"]}, "unknown column 'nope' in 'covariates'"),
        ({"baseline_column": "nope"}, "unknown column 'nope' in 'baseline_column'"),
        ({"covariates": ["lifecycle"]}, "leave it out of 'covariates'"),
        ({"holdout_by_stratum": {"vip": 0.3}}, "'holdout_by_stratum' stratum 'vip' matches no"),
        ({"baseline_by_stratum": {"vip": 0.05}}, "'baseline_by_stratum' stratum 'vip' matches"),
        ({"strata": ["region"]}, "Pass 'strata' with columns of the file (or strata=none)"),
    ],
)
def test_design_refusals_name_the_parameters_not_the_flags(keywords, said):
    frame = customers_frame({"active": 100, "silent": 100}, seed=9)
    with pytest.raises(InputError) as caught:
        design_experiment(frame, name="words", **keywords)
    assert said in str(caught.value) and "--" not in str(caught.value)
