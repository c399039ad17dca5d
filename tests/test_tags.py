"""tags.py: built-in tags at their cut-offs, rules against the same condition in pandas, and
every bad rule or --where expression as one InputError naming the file and the rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from uplift_lab.errors import InputError
from uplift_lab.segment import SEGMENT_COLUMNS, SegmentConfig, segment_customers
from uplift_lab.tags import (
    BUILTIN_TAG_COLUMNS,
    TagRule,
    apply_tag_rules,
    builtin_tags,
    consumption_levels,
    loyalty_levels,
    parse_tag_rules,
    purchase_activity,
    tag_summary,
    where_mask,
)

AS_OF = pd.Timestamp("2026-07-01")
SOURCE = "tags.toml"


def table() -> pd.DataFrame:
    """A small segment-like table: six buyers with distinct AOVs and one potential customer."""
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "f", "p"],
            "aov": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, np.nan],
            "frequency": [1, 2, 3, 4, 5, 0, 0],
            "lifecycle": ["new", "active", "active", "silent", "active", "churned", "potential"],
            "region": ["east", "west", "east", None, "east", "west", "east"],
        }
    )


# --- built-in tags ------------------------------------------------------------------------------


def test_consumption_terciles_split_six_distinct_aovs_two_two_two() -> None:
    aov = np.array([60.0, 10, 30, 20, 50, 40, np.nan])
    levels = consumption_levels(aov, np.array([1, 1, 1, 1, 1, 1, 0]))
    assert levels.tolist() == ["high", "low", "mid", "low", "high", "mid", "none"]


def test_consumption_terciles_give_tied_aovs_one_level() -> None:
    levels = consumption_levels(np.array([5.0, 5, 5, 9]), np.ones(4))
    assert levels.tolist() == ["low", "low", "low", "high"]  # 3 x 3/4 -> floor 2


def test_consumption_cutoffs_put_an_edge_in_the_band_above() -> None:
    levels = consumption_levels(np.array([49.99, 50, 149.99, 150]), np.ones(4), (50, 150))
    assert levels.tolist() == ["low", "mid", "mid", "high"]


def test_purchase_activity_bands() -> None:
    assert purchase_activity(np.array([0, 1, 2, 3, 4, 17])).tolist() == [
        "0",
        "1",
        "2-3",
        "2-3",
        "4+",
        "4+",
    ]


def test_loyalty_by_tenure_and_frequency_at_the_cut_offs() -> None:
    tenure = np.array([89, 90, 364, 365, 365, np.nan])
    frequency = np.array([9, 9, 9, 4, 3, 0])
    n_orders = np.array([9, 9, 9, 4, 3, 0])
    levels = loyalty_levels(tenure, frequency, n_orders)
    assert levels.tolist() == ["new", "regular", "regular", "loyal", "regular", "none"]


def order_log(*orders: tuple[str, float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [customer for customer, _, _ in orders],
            "order_time": [AS_OF - pd.Timedelta(days=days) for _, days, _ in orders],
            "amount": [float(amount) for _, _, amount in orders],
        }
    )


def test_segment_adds_the_builtin_tags_from_its_own_columns() -> None:
    orders = order_log(
        *[("loyal", 400 - 60 * k, 100) for k in range(6)],  # 6 orders, first 400 days ago
        ("new", 10, 20),
        ("lapsed", 500, 10),
        ("lapsed", 400, 30),
    )
    customers = pd.DataFrame({"customer_id": ["loyal", "new", "lapsed", "p"]})
    table = segment_customers(orders, AS_OF, customers=customers).table.set_index("customer_id")
    assert list(table.columns[-3:]) == list(BUILTIN_TAG_COLUMNS)
    assert set(BUILTIN_TAG_COLUMNS) <= set(SEGMENT_COLUMNS)
    assert table["consumption_level"].to_dict() == {
        "lapsed": "low",  # AOV 20, tied with 'new': both have nobody lower
        "loyal": "high",
        "new": "low",
        "p": "none",
    }
    assert table["purchase_activity"].to_dict() == {
        "lapsed": "0",  # both orders before the 365-day lookback
        "loyal": "4+",  # five of six orders in the window
        "new": "1",
        "p": "0",
    }
    assert table["loyalty"].to_dict() == {
        "lapsed": "regular",
        "loyal": "loyal",
        "new": "new",
        "p": "none",
    }


def test_consumption_cutoffs_option_of_segment() -> None:
    orders = order_log(("a", 3, 49), ("b", 3, 50), ("c", 3, 200))
    config = SegmentConfig(consumption_cutoffs=(50, 150))
    levels = segment_customers(orders, AS_OF, config=config).table["consumption_level"]
    assert levels.tolist() == ["low", "mid", "high"]


@pytest.mark.parametrize("cutoffs", [(50,), (150, 50), (50, 50), (50, float("nan"))])
def test_bad_consumption_cutoffs_name_the_option(cutoffs) -> None:
    with pytest.raises(InputError, match="'consumption_cutoffs' parameter"):
        SegmentConfig(consumption_cutoffs=cutoffs)


def test_region_of_the_customer_table_passes_through() -> None:
    customers = pd.DataFrame({"customer_id": ["a", "p"], "region": ["east", "west"]})
    segments = segment_customers(order_log(("a", 3, 10)), AS_OF, customers=customers).table
    assert segments["region"].tolist() == ["east", "west"]


# --- rules --------------------------------------------------------------------------------------


def test_boolean_rule_equals_the_pandas_condition_and_null_is_false() -> None:
    frame = table()
    tagged = apply_tag_rules(frame, [TagRule("big", "aov >= 30 AND region = 'east'")], SOURCE)
    expected = (frame["aov"] >= 30) & (frame["region"] == "east")
    assert tagged["big"].dtype == bool
    assert tagged["big"].tolist() == expected.tolist()  # NaN aov and None region: False


def test_case_rule_gives_its_values() -> None:
    frame = table()
    rule = TagRule("tier", "CASE WHEN aov >= 50 THEN 'top' WHEN aov >= 20 THEN 'mid' END")
    tagged = apply_tag_rules(frame, [rule], SOURCE)
    expected = np.select([frame["aov"] >= 50, frame["aov"] >= 20], ["top", "mid"], None)
    assert tagged["tier"].astype(object).where(tagged["tier"].notna(), None).tolist() == list(
        expected
    )


def test_rules_keep_row_order_and_index_and_may_use_earlier_tags() -> None:
    frame = table().sample(frac=1.0, random_state=3).set_index("customer_id", drop=False)
    rules = parse_tag_rules({"big": "aov >= 30", "big_east": "big AND region = 'east'"}, SOURCE)
    tagged = apply_tag_rules(frame, rules, SOURCE)
    assert list(tagged.index) == list(frame.index)
    assert tagged["big"].tolist() == (frame["aov"] >= 30).tolist()
    expected = (frame["aov"] >= 30) & (frame["region"] == "east")
    assert tagged["big_east"].tolist() == expected.tolist()
    assert list(tagged.columns) == [*frame.columns, "big", "big_east"]


def test_window_rule_is_one_value_per_row() -> None:
    tagged = apply_tag_rules(table(), [TagRule("third", "ntile(3) OVER (ORDER BY aov)")], SOURCE)
    assert tagged["third"].notna().all()


def test_chinese_tag_name_is_an_identifier() -> None:
    tagged = apply_tag_rules(table(), parse_tag_rules({"高客单": "aov >= 50"}, SOURCE), SOURCE)
    assert tagged["高客单"].sum() == 2


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({}, "has no rules"),
        ({"high value": "aov > 1"}, "rule 'high value': a tag name must be"),
        ({"1st": "aov > 1"}, "rule '1st'"),
        (
            {"select": "aov > 1"},
            "SQL keyword, so that 'strata' and 'where' can name it. Rename it, e.g. select_tag",
        ),
        ({"big": 3}, "rule 'big' is not a SQL expression in quotes"),
        ({"big": {"x": "aov"}}, "rule 'big' is not a SQL expression"),
        ({"big": "  "}, "rule 'big' is not"),
    ],
)
def test_bad_names_and_values_are_one_input_error(payload, fragment) -> None:
    with pytest.raises(InputError) as caught:
        parse_tag_rules(payload, SOURCE)
    message = str(caught.value)
    assert message.startswith(SOURCE) and fragment in message and "\n" not in message


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        (TagRule("bad", "aov >"), "syntax error"),
        (TagRule("bad", "spend > 3"), 'column "spend" not found'),
        (TagRule("bad", "aov > 1; DROP TABLE segments"), "more than one statement"),
        (TagRule("bad", "sum(aov) > 3"), "an aggregate gives one value"),
        (TagRule("AOV", "aov > 3"), "already has a column 'aov'"),
        (TagRule("bad", "aov > 'x'"), "rule 'bad'"),
        (TagRule("bad", "(SELECT count(*) FROM read_csv('/etc/passwd')) > 0"), "rule 'bad'"),
    ],
)
def test_bad_rules_are_one_input_error_naming_file_and_rule(rule, fragment) -> None:
    with pytest.raises(InputError) as caught:
        apply_tag_rules(table(), [rule], SOURCE)
    message = str(caught.value)
    assert message.startswith(f"{SOURCE}: rule '{rule.name}'"), message
    assert fragment in message and "\n" not in message, message


# --- where --------------------------------------------------------------------------------------


def test_where_mask_equals_the_pandas_filter() -> None:
    frame = table()
    mask = where_mask(frame, "lifecycle IN ('active', 'silent') AND frequency >= 3")
    expected = frame["lifecycle"].isin(["active", "silent"]) & (frame["frequency"] >= 3)
    assert mask.dtype == bool and mask.tolist() == expected.tolist()


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("aov >", "syntax error"),
        ("nope = 1", 'column "nope" not found'),
        ("region", "gives VARCHAR values, not true/false"),
    ],
)
def test_bad_where_is_one_input_error(expression, fragment) -> None:
    with pytest.raises(InputError) as caught:
        where_mask(table(), expression)
    message = str(caught.value)
    assert message.startswith(f"'where' \"{expression}\"") and fragment in message
    assert "e.g. where=\"loyalty = 'loyal' AND region = 'east'\"" in message
    assert "--" not in message and "\n" not in message


# --- tags as features ---------------------------------------------------------------------------


def test_tags_as_default_features_rules_kept_bandings_dropped_booleans_as_numbers() -> None:
    from uplift_lab.uplift.data import choose_default_features, encode_features, infer_feature_specs

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"aov": rng.uniform(5, 200, 400), "frequency": rng.integers(0, 9, 400)})
    frame["tenure_days"] = rng.integers(0, 900, 400).astype(float)
    frame["n_orders_total"] = frame["frequency"] + 1
    tags = builtin_tags(frame)
    frame = frame.assign(**tags)
    frame = apply_tag_rules(frame, [TagRule("big", "aov >= 100")], SOURCE)
    choice = choose_default_features(frame, list(frame.columns))
    assert "big" in choice.columns  # a --tags rule is the user's feature
    assert not set(BUILTIN_TAG_COLUMNS) & set(choice.columns)  # bandings of kept columns
    assert choice.dropped["banded"] == (
        "consumption_level (of aov)",
        "purchase_activity (of frequency)",
        "loyalty (of tenure_days, frequency)",
    )
    alone = choose_default_features(frame, ["loyalty", "consumption_level", "frequency"])
    assert alone.columns == ("loyalty", "consumption_level", "frequency")  # sources absent: kept
    specs = {spec.name: spec for spec in infer_feature_specs(frame, list(frame.columns), SOURCE)}
    assert specs["big"].kind == "numeric" and specs["loyalty"].kind == "categorical"
    matrix = encode_features(frame, [specs["big"]], SOURCE)
    assert matrix[:, 0].tolist() == (frame["aov"] >= 100).astype(float).tolist()


def test_tag_summary_counts_equal_value_counts_in_tag_order() -> None:
    frame = table().assign(monetary=[10.0, 20, 30, 40, 50, 60, 0])
    frame = frame.assign(**builtin_tags(frame.assign(tenure_days=100.0, n_orders_total=1)))
    frame = apply_tag_rules(frame, [TagRule("big", "aov >= 30")], SOURCE)
    summary = tag_summary(frame, ["consumption_level", "big", "region"])
    level = summary[summary["tag"] == "consumption_level"]
    assert level["value"].tolist() == ["low", "mid", "high", "none"]  # none: the potential row
    assert level["customers"].tolist() == [2, 2, 2, 1]
    big = summary[summary["tag"] == "big"].set_index("value")
    assert big.index.tolist() == ["True", "False"]
    assert big.loc["True", "customers"] == 4
    assert big.loc["True", "revenue_share"] == pytest.approx((30 + 40 + 50 + 60) / 210)
    region = summary[summary["tag"] == "region"].set_index("value")["customers"].to_dict()
    assert region == {"east": 4, "west": 2, "(missing)": 1}
    assert summary["share"].groupby(summary["tag"]).sum().round(12).eq(1).all()
