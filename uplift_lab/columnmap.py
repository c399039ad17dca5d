"""Back-end presets and column maps: a shop's own files read without renaming a column.

A preset (``--preset taobao``) or a column map (``--columns map.toml``) says, per input kind,
which of the file's columns is which canonical one, which orders count (status and refund rules,
:mod:`uplift_lab.orders`) and how its dates are written
(:class:`~uplift_lab.timeparse.TimeParsing`).
Each file has its own id column: orders keyed by 买家会员名 combine with a customer table keyed
by ``customer_id``. The result, :class:`InputSpec`, is what the commands pass to their loaders.

A column map, for example::

    [orders]
    paid_statuses = ["交易成功"]
    timezone = "Asia/Shanghai"

    [orders.columns]
    "买家会员名" = "customer_id"
    "订单付款时间" = "order_time"
    "买家实际支付金额" = "amount"
    "订单状态" = "status"
    "退款金额" = "refund"

    [customers.columns]
    "会员ID" = "customer_id"
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from uplift_lab.contracts import (
    AMOUNT,
    ARM,
    CUSTOMER_ID,
    EVENT_TIME,
    EVENT_TYPE,
    EVENT_TYPES,
    ORDER_TIME,
    STRATUM,
)
from uplift_lab.errors import UsageError, input_error, literal, usage_error
from uplift_lab.file_layout import (
    DEFAULT_FILE_LAYOUT,
    LAYOUT_KEYS,
    FileLayout,
    file_layout_from_section,
)
from uplift_lab.orders import (
    CATEGORY,
    ORDER_COLUMNS,
    QUANTITY,
    REFUND,
    STATUS,
    UNIT_PRICE,
    OrderRules,
    OrderSource,
    line_amount_label,
)
from uplift_lab.timeparse import DEFAULT_TIME_PARSING, TimeParsing

SIGNUP_TIME = "signup_time"
CANONICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "orders": ORDER_COLUMNS,
    "customers": (CUSTOMER_ID, SIGNUP_TIME),
    "events": (CUSTOMER_ID, EVENT_TIME, EVENT_TYPE),
    "campaign": (CUSTOMER_ID, ARM, STRATUM, "channel", "send_time"),
}
"""Per input kind of a column map, the canonical names its columns can be mapped to."""

TIME_KEYS = ("date_format", "dayfirst", "timezone")
ORDER_RULE_KEYS = (
    "paid_statuses",
    "excluded_statuses",
    "refund_rows",
    "unpaid_when_time_empty",
    "line_items",
    "clean_text",
    "skip_missing_customer",
)
LINE_ITEM_MODES = {True: "first", False: None, "first": "first", "sum": "sum"}
"""``line_items`` of a column map: true or "first" (the first row of an order carries its
totals, Shopify), "sum" (each row is a line, amounts summed into the order), false (no line
items)."""


@dataclass(frozen=True, slots=True)
class TableColumns:
    """A non-order input file's column names: ``{file column: canonical}``, date parsing, its
    layout and (events) ``{file label: canonical event type}``."""

    renames: Mapping[str, str] = field(default_factory=dict)
    parsing: TimeParsing = DEFAULT_TIME_PARSING
    layout: FileLayout = DEFAULT_FILE_LAYOUT
    labels: Mapping[str, str] = field(default_factory=dict)

    def id_column(self, default: str) -> str:
        """The file's customer id column (``default`` when the map does not name one)."""
        for user_name, canonical in self.renames.items():
            if canonical == CUSTOMER_ID:
                return user_name
        return default

    def apply(self, frame: pd.DataFrame, source: object) -> pd.DataFrame:
        """Rename the mapped non-id columns to their canonical names (the id is renamed by the
        validator, so its messages name the file's column)."""
        renames = {}
        for user_name, canonical in self.renames.items():
            if canonical == CUSTOMER_ID:
                continue
            if user_name not in frame.columns:
                shown = ", ".join(map(str, frame.columns[:20]))
                raise input_error(source, f"missing column '{user_name}'", f"The file has: {shown}")
            renames[user_name] = canonical
        frame = frame.rename(columns=renames)
        if self.labels and EVENT_TYPE in frame.columns:  # unmapped labels: refused by validation
            frame[EVENT_TYPE] = frame[EVENT_TYPE].astype("string").replace(dict(self.labels))
        return frame


@dataclass(frozen=True, slots=True)
class Preset:
    """A shop back-end's order export: what its columns mean and which orders count."""

    name: str
    title: str
    orders: OrderSource
    notes: str = ""

    def mapping(self) -> dict[str, str]:
        """``{canonical: file column}`` for display."""
        source = self.orders
        shown = {
            CUSTOMER_ID: source.customer_col,
            "order_time": source.time_col,
            "amount": source.amount_col,
            "order_id": source.order_id_col,
            CATEGORY: source.category_col,
            STATUS: source.rules.status_col,
            REFUND: source.rules.refund_col,
        }
        return {key: value for key, value in shown.items() if value}


TAOBAO_COUNTED = ("交易成功", "买家已付款,等待卖家发货", "卖家已发货,等待买家确认")
SHOPIFY_COUNTED = ("paid", "partially_paid", "partially_refunded", "refunded")
WOOCOMMERCE_COUNTED = ("completed", "processing", "wc-completed", "wc-processing")
YOUZAN_COUNTED = ("待发货", "部分发货", "已发货", "交易成功", "交易完成", "待成团", "待接单")
# Youzan (有赞微商城) publishes no public reference of its order export (the seller help
# centre needs a login). The columns and statuses below are those of its 订单导出 (one row
# per order) as three independent public importers of real Youzan exports read them:
#   - github.com/Nanboy-Ronan/OmniPanel app/db/raw_headers.py (YOUZAN_RAW_HEADERS, the
#     full header list, commit 8d1fd8dc) and app/db/order_status.py (commit 6c9e41a2;
#     paid: 待发货 / 已发货 / 交易完成 / 交易成功 / 部分发货 / 待成团 / 待接单,
#     closed: 交易关闭 / 已关闭, unpaid: 待付款);
#   - github.com/LiwinLi23/HelloJava src/main/java/com/liwinli/app/xiaolingent/customer/
#     analysis/constant/Constants.java (WSCTableColumns, 微商城 = Youzan) and
#     enums/EnumECommerceOrder.java (订单退款状态: 退款中 / 退款成功（部分退款） /
#     退款成功（全额退款）), commit 27c8fdde;
#   - github.com/srafyhucl-cpu/yunxibakebot
#     tests/scripts/test_audit_youzan_customer_migration.py (commit 6474fe2a: a newer
#     header with 销售渠道, 订单实收金额 and 分销员 twice; 买家手机号 is the buyer key it
#     matches to the 客户手机号 of Youzan's customer export).
# All three have 订单号, 订单状态, 订单创建时间, 买家付款时间, 订单实付金额, 全部商品名称,
# 买家手机号, 订单退款状态, 订单已退款金额. A report with one row per item (商品已退款金额
# per item, no 订单已退款金额) is another layout: the preset refuses it as a missing column.

PRESETS: dict[str, Preset] = {
    "taobao": Preset(
        name="taobao",
        title="Taobao/Tmall seller-center order export (订单报表)",
        orders=OrderSource(
            customer_col="买家会员名",
            time_col="订单付款时间",
            amount_col="买家实际支付金额",
            order_id_col="订单编号",
            category_col="宝贝标题",
            rules=OrderRules(
                status_col="订单状态",
                paid_statuses=TAOBAO_COUNTED,
                refund_col="退款金额",
                unpaid_when_time_empty=True,
            ),
            clean_text=True,
        ),
        notes="GBK; header spaces and tab-guarded ids trimmed; money as text read as numbers. "
        f"Counted: {' / '.join(TAOBAO_COUNTED)}; not counted: 交易关闭, 等待买家付款 and any other "
        "status; an empty 订单付款时间 is unpaid. net = 买家实际支付金额 - 退款金额; "
        "宝贝标题 becomes category.",
    ),
    "shopify": Preset(
        name="shopify",
        title="Shopify admin orders export (orders_export.csv)",
        orders=OrderSource(
            customer_col="Email",
            time_col="Paid at",
            amount_col="Total",
            order_id_col="Name",
            rules=OrderRules(
                status_col="Financial Status",
                paid_statuses=SHOPIFY_COUNTED,
                refund_col="Refunded Amount",
                unpaid_when_time_empty=True,
                line_item_col="Name",
            ),
            parsing=TimeParsing(date_format="%Y-%m-%d %H:%M:%S %z"),
            clean_text=True,
        ),
        notes="One row per line item: the first row of each Name carries the order's totals and "
        f"is the order. Counted: {', '.join(SHOPIFY_COUNTED)} (refunds netted from Refunded "
        "Amount, so a fully refunded order does not count); not counted: pending, authorized, "
        "voided and any other status; an empty Paid at is unpaid. Paid at reads like "
        "2025-10-07 09:50:26 +0200.",
    ),
    "woocommerce": Preset(
        name="woocommerce",
        title="WooCommerce order export (Import Export Suite / Order Export & Import plugin)",
        # Columns and formats as documented at
        # https://woocommerce.com/document/import-and-export-of-woocommerce-orders/ (order_id,
        # order_date and paid_date as MM/DD/YYYY H:i:s, status, order_total, customer_email).
        orders=OrderSource(
            customer_col="customer_email",
            time_col="paid_date",
            amount_col="order_total",
            order_id_col="order_id",
            rules=OrderRules(
                status_col="status",
                paid_statuses=WOOCOMMERCE_COUNTED,
                unpaid_when_time_empty=True,
            ),
            parsing=TimeParsing(dayfirst=False),
            clean_text=True,
        ),
        notes="The buyer is customer_email (guest orders have customer_id 0). Counted: "
        "completed, processing (also written wc-completed, wc-processing); not counted: "
        "pending, on-hold, failed, cancelled, refunded and any other status; an empty "
        "paid_date is unpaid. Dates month-first (9/6/2016 6:29:00 is 6 September). The export "
        "has no refund amount per order: a partly refunded order counts in full (a fully "
        "refunded one has status refunded).",
    ),
    "youzan": Preset(
        name="youzan",
        title="Youzan (有赞) store order export (订单导出)",
        orders=OrderSource(
            customer_col="买家手机号",
            time_col="买家付款时间",
            amount_col="订单实付金额",
            order_id_col="订单号",
            category_col="全部商品名称",
            rules=OrderRules(
                status_col="订单状态",
                paid_statuses=YOUZAN_COUNTED,
                refund_col="订单已退款金额",
                unpaid_when_time_empty=True,
            ),
            clean_text=True,
        ),
        notes="Encoding detected (UTF-8 with or without BOM, GBK); header spaces and "
        "tab-guarded ids trimmed, phone numbers kept as text, money as text read as numbers. "
        "The buyer is 买家手机号 (the account's phone; map 收货人手机号/提货人手机号 with "
        "--columns for the consignee). "
        f"Counted: {' / '.join(YOUZAN_COUNTED)}; not counted: 待付款, 交易关闭, 已关闭 and "
        "any other status; an empty 买家付款时间 is unpaid. "
        "net = 订单实付金额 - 订单已退款金额, so a fully refunded order "
        "(退款成功（全额退款）) does not count; 全部商品名称 becomes category. "
        "Column names and statuses as public importers of Youzan exports read them "
        "(no official reference is public; sources in the README).",
    ),
}


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """A parsed ``--columns`` file: the sections it has (absent sections are ``None``) and the
    file it came from (named in errors found later, when the map meets the flags)."""

    orders: dict | None = None
    customers: TableColumns | None = None
    events: TableColumns | None = None
    campaign: TableColumns | None = None
    source: Path | None = None


@dataclass(frozen=True, slots=True)
class InputSpec:
    """How each input file of a command is read."""

    orders: OrderSource = field(default_factory=OrderSource)
    customers: TableColumns = field(default_factory=TableColumns)
    events: TableColumns = field(default_factory=TableColumns)
    campaign: TableColumns = field(default_factory=TableColumns)
    customer_col: str = CUSTOMER_ID
    preset: str | None = None

    @property
    def customers_id(self) -> str:
        return self.customers.id_column(self.customer_col)

    @property
    def events_id(self) -> str:
        return self.events.id_column(self.customer_col)


# Customer attributes a sending tool needs exactly as written: a phone number keeps its leading
# 0 or +86 (read as a number it would not), a QQ or WeChat id its digits.
CONTACT_COLUMN = re.compile(
    r"phone|mobile|tel|cell|whatsapp|wechat|qq|手机|电话|联系方式|微信|号码", re.IGNORECASE
)


def preset_named(name: str) -> Preset:
    """The preset called ``name`` (case-insensitive), or an InputError listing them."""
    preset = PRESETS.get(name.strip().lower())
    if preset is None:
        raise UsageError(
            f"{{preset}}: unknown preset '{literal(name)}'. Use one of {', '.join(PRESETS)} "
            "(uplift-lab presets lists them), or a {columns=map.toml}"
        )
    return preset


def column_map_from_toml(payload: Mapping, path: Path) -> ColumnMap:
    """Check a column map (``payload``: the parsed TOML of the file ``path``, which errors name);
    every problem is a one-line InputError."""
    unknown = sorted(set(payload) - set(CANONICAL_COLUMNS))
    if unknown:
        raise input_error(
            path,
            f"unknown section [{unknown[0]}]",
            f"Sections are {', '.join(f'[{kind}]' for kind in CANONICAL_COLUMNS)}",
        )
    sections = {}
    for kind, section in payload.items():
        if not isinstance(section, dict):
            raise input_error(path, f"'{kind}' must be a section such as [{kind}]")
        allowed = ("columns", *TIME_KEYS, *(ORDER_RULE_KEYS if kind == "orders" else ()))
        allowed += LAYOUT_KEYS if kind != "campaign" else ()
        allowed += ("event_types",) if kind == "events" else ()
        extra = sorted(set(section) - set(allowed))
        if extra:
            raise input_error(
                path, f"[{kind}] has unknown key '{extra[0]}'", f"Keys are {', '.join(allowed)}"
            )
        columns = section.get("columns", {})
        if not isinstance(columns, dict) or not all(
            isinstance(value, str) for value in columns.values()
        ):
            raise input_error(
                path,
                f"[{kind}] columns must map file column names to canonical names",
                f'e.g. columns = {{ "买家会员名" = "{CUSTOMER_ID}" }}',
            )
        for user_name, canonical in columns.items():
            if canonical not in CANONICAL_COLUMNS[kind]:
                raise input_error(
                    path,
                    f"[{kind}] maps '{user_name}' to unknown canonical name '{canonical}'",
                    f"Use one of {', '.join(CANONICAL_COLUMNS[kind])}",
                )
        targets = list(columns.values())
        repeated = sorted({name for name in targets if targets.count(name) > 1})
        if repeated:
            raise input_error(path, f"[{kind}] maps two columns to '{repeated[0]}'")
        parsing = _time_parsing(section, kind, path)
        layout = file_layout_from_section(section, kind, path)
        if kind == "orders":
            sections[kind] = {**section, "columns": dict(columns), "parsing": parsing}
            sections[kind]["layout"] = layout
        else:
            labels = _event_labels(section.get("event_types", {}), path)
            sections[kind] = TableColumns(dict(columns), parsing, layout, labels)
    return ColumnMap(**sections, source=Path(path))


def _event_labels(labels: object, path: object) -> dict[str, str]:
    """An ``[events.event_types]`` table: each of the file's labels to a canonical event type."""
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise input_error(path, '[events] event_types must map labels, e.g. pv = "visit"')
    for label, canonical in labels.items():
        if canonical not in EVENT_TYPES:
            raise input_error(
                path,
                f"[events.event_types] maps '{label}' to '{canonical}'",
                f"Map it to one of {', '.join(EVENT_TYPES)}",
            )
    return dict(labels)


def _time_parsing(section: Mapping, kind: str, path: object) -> TimeParsing:
    date_format = section.get("date_format")
    dayfirst = section.get("dayfirst")
    timezone = section.get("timezone")
    for key, value, kinds in (
        ("date_format", date_format, str),
        ("dayfirst", dayfirst, bool),
        ("timezone", timezone, str),
    ):
        if value is not None and not isinstance(value, kinds):
            raise input_error(path, f"[{kind}] {key} must be a {kinds.__name__}, got {value!r}")
    return TimeParsing(date_format=date_format, dayfirst=dayfirst, timezone=timezone)


def _overlay(base: TimeParsing, flags: TimeParsing) -> TimeParsing:
    """``base`` with every value the command-line flags set."""
    given = {key: getattr(flags, key) for key in TIME_KEYS if getattr(flags, key) is not None}
    return replace(base, **given) if given else base


def _with_parsing(table: TableColumns | None, flags: TimeParsing) -> TableColumns:
    table = table or TableColumns()
    return replace(table, parsing=_overlay(table.parsing, flags))


def _strings(value: object, key: str, path: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise input_error(path, f"[orders] {key} must be a list of text values")
    return tuple(value)


def _flag(section: Mapping, key: str, path: object, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise input_error(path, f"[orders] {key} must be true or false, got {value!r}")
    return value


def _line_item_mode(section: Mapping, path: object, rules: OrderRules) -> str | None:
    """The map's ``line_items`` as "first", "sum" or None (:data:`LINE_ITEM_MODES`)."""
    if "line_items" not in section:
        if rules.line_item_col is None:
            return None
        return "sum" if rules.sum_line_items else "first"
    value = section["line_items"]
    if isinstance(value, bool | str) and value in LINE_ITEM_MODES:
        return LINE_ITEM_MODES[value]
    raise input_error(
        path, f'[orders] line_items must be true, false, "first" or "sum", got {value!r}'
    )


def _orders_from_map(
    base: OrderSource, section: Mapping, path: object, given: Mapping | None = None
) -> OrderSource:
    """``base`` with what the map's [orders] section sets; ``given`` (the status flags of the
    command line, which win over the map) is checked with the map's status column."""
    by_canonical = {canonical: user for user, canonical in section["columns"].items()}
    rules = base.rules
    status_col = by_canonical.get(STATUS, rules.status_col)
    paid = rules.paid_statuses
    excluded = rules.excluded_statuses
    if "paid_statuses" in section:
        paid, excluded = _strings(section["paid_statuses"], "paid_statuses", path), ()
    if "excluded_statuses" in section:
        excluded = _strings(section["excluded_statuses"], "excluded_statuses", path)
        if "paid_statuses" not in section:
            paid = ()
    given = given or {}
    status_col = given.get("status_col", status_col)
    paid = given.get("paid_statuses", paid)
    excluded = given.get("excluded_statuses", excluded)
    order_id_col = by_canonical.get("order_id", base.order_id_col)
    line_items = _line_item_mode(section, path, rules)
    if line_items and not order_id_col:
        raise input_error(
            path,
            f"[orders] line_items = {section['line_items']!r} needs a column mapped to order_id",
        )
    quantity_col = by_canonical.get(QUANTITY, base.quantity_col)
    unit_price_col = by_canonical.get(UNIT_PRICE, base.unit_price_col)
    amount_col = by_canonical.get("amount", base.amount_col)
    if bool(quantity_col) != bool(unit_price_col):
        given, missing = (QUANTITY, UNIT_PRICE) if quantity_col else (UNIT_PRICE, QUANTITY)
        raise input_error(
            path,
            f"[orders] maps a column to '{given}' but none to '{missing}'",
            "A row's amount is quantity x unit price: map both (or one column to 'amount')",
        )
    if quantity_col and "amount" in by_canonical:
        raise input_error(
            path,
            "[orders] maps columns to 'amount' and to 'quantity'/'unit_price'",
            "Map either the amount or its quantity and unit price",
        )
    if quantity_col:
        amount_col = line_amount_label(quantity_col, unit_price_col)
    switches = {  # checked before the rules: their errors say "[orders]" once
        key: _flag(section, key, path, getattr(rules, key))
        for key in ("refund_rows", "unpaid_when_time_empty", "skip_missing_customer")
    }
    try:
        rules = OrderRules(
            status_col=status_col,
            paid_statuses=paid,
            excluded_statuses=excluded,
            refund_col=by_canonical.get(REFUND, rules.refund_col),
            line_item_col=order_id_col if line_items else None,
            sum_line_items=line_items == "sum",
            statuses_given=rules.statuses_given
            or any(key in section for key in ("paid_statuses", "excluded_statuses")),
            **switches,
        )
    except UsageError as exc:
        raise usage_error(path, f"[orders] {exc.template}") from None
    parsing = section["parsing"]
    if parsing == DEFAULT_TIME_PARSING:
        parsing = base.parsing
    return replace(
        base,
        customer_col=by_canonical.get(CUSTOMER_ID, base.customer_col),
        time_col=by_canonical.get("order_time", base.time_col),
        amount_col=amount_col,
        quantity_col=quantity_col,
        unit_price_col=unit_price_col,
        order_id_col=order_id_col,
        category_col=by_canonical.get(CATEGORY, base.category_col),
        rules=rules,
        parsing=parsing,
        clean_text=_flag(section, "clean_text", path, base.clean_text),
        layout=section["layout"],
    )


def resolve_inputs(
    *,
    preset: str | None = None,
    columns: ColumnMap | None = None,
    customer_col: str = CUSTOMER_ID,
    time_col: str | None = None,
    amount_col: str | None = None,
    status_col: str | None = None,
    paid_statuses: Sequence[str] = (),
    excluded_statuses: Sequence[str] = (),
    refund_col: str | None = None,
    refund_rows: bool = False,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
) -> InputSpec:
    """How a command reads its files: a preset, then a column map, then the explicit flags.

    With a preset or a map naming the orders' id column, ``customer_col`` (``--customer-col``)
    names the id column of the other files (customers, events); otherwise of every file.
    ``time_col``/``amount_col`` ``None`` or the canonical name means "not given" (the preset's
    or map's column is used). ``parsing`` (the --date-format/--dayfirst/--timezone flags)
    overrides, value by value, what the preset or map says for every file. ``columns`` is a
    parsed column map (:func:`column_map_from_toml`; a command reads its ``--columns`` file
    through :func:`uplift_lab.workflows.inputs.read_column_map`).
    """
    orders = OrderSource(customer_col=customer_col)
    if preset:
        orders = preset_named(preset).orders
    column_map = columns if columns is not None else ColumnMap()
    rules_given = {}
    if status_col:
        rules_given["status_col"] = status_col
    if paid_statuses:
        rules_given.update(paid_statuses=tuple(paid_statuses), excluded_statuses=())
    if excluded_statuses:
        rules_given.update(excluded_statuses=tuple(excluded_statuses))
        if not paid_statuses:
            rules_given["paid_statuses"] = ()
    if column_map.orders is not None:
        orders = _orders_from_map(orders, column_map.orders, column_map.source, rules_given)
    rules = orders.rules
    if refund_col:
        rules_given["refund_col"] = refund_col
    if refund_rows:
        rules_given["refund_rows"] = True
    if paid_statuses or excluded_statuses:
        rules_given["statuses_given"] = True
    if rules_given:
        rules = replace(rules, **rules_given)
    if amount_col not in (None, AMOUNT):  # --amount-col wins over a map's quantity x price
        orders = replace(orders, quantity_col=None, unit_price_col=None)
    orders = replace(
        orders,
        time_col=time_col if time_col not in (None, ORDER_TIME) else orders.time_col,
        amount_col=amount_col if amount_col not in (None, AMOUNT) else orders.amount_col,
        rules=rules,
        parsing=_overlay(orders.parsing, parsing),
    )
    return InputSpec(
        orders=orders,
        customers=_with_parsing(column_map.customers, parsing),
        events=_with_parsing(column_map.events, parsing),
        campaign=_with_parsing(column_map.campaign, parsing),
        customer_col=customer_col,
        preset=preset_named(preset).name if preset else None,
    )
