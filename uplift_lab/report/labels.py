"""The one table of report labels: English label -> Chinese label, and how ``--lang`` applies it.

Every report renders its labels through :class:`Labels` (``labels("Customers")``), so the
terminal tables, Markdown and HTML of a command speak one language from one set of templates.
A label with placeholders is looked up by its English template and then filled:
``labels("Conversion: {arm} vs {control}", arm=..., control=...)``. A label the table does not
know stays English. Machine outputs (CSV/Parquet/JSON column names and keys) never go through
this table: they stay canonical English for downstream tools.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

from uplift_lab.report.notice_zh import NOTICES_ZH
from uplift_lab.report.step_notice_zh import STEP_NOTICES_ZH
from uplift_lab.report.verdict_zh import METHOD_NOTES_ZH, VERDICTS_ZH
from uplift_lab.rfm_classes import RFM_CLASS_NAMES_ZH


class Lang(StrEnum):
    """The languages of ``--lang``."""

    en = "en"
    zh = "zh"


LIFECYCLE_ZH = {
    "potential": "潜客",
    "new": "新客",
    "active": "活跃",
    "semi_active": "半活跃",
    "silent": "沉默",
    "churned": "流失",
}
"""The lifecycle stages (uplift_lab.contracts.LIFECYCLE_STAGES)."""

ARMS_ZH = {
    "send": "发送组",
    "holdout": "观察组",
    "control": "对照组",
    "treated": "发送组",
    "sms": "短信",
    "mms": "彩信",
    "edm": "邮件",
}
"""Arm roles and the channels of the demo shop."""

VALUES_ZH = {
    "low": "低",
    "mid": "中",
    "high": "高",
    "regular": "常客",
    "loyal": "忠诚",
    "total": "合计",
    "all": "全部",
    "(overall)": "（总体）",
    "(all)": "（全部）",
    "none": "无",
    "True": "是",
    "False": "否",
    "(missing)": "（缺失）",
    "consumption_level": "消费能力",
    "purchase_activity": "购买活跃度",
    "loyalty": "忠诚度",
}
"""Row labels that are data values: bands, tags, totals."""

HEADERS_ZH = {
    # segment
    "lifecycle": "生命周期",
    "RFM class": "RFM 分类",
    "customers": "客户数",
    "share": "占比",
    "revenue share": "收入占比",
    "recency": "最近购买天数",
    "tag": "标签",
    "value": "取值",
    "Lifecycle stages ({customers} customers)": "生命周期阶段（{customers} 位客户）",
    "RFM classes (R/F/M high = score >= {score})": "RFM 分类（R/F/M 高 = 得分 >= {score}）",
    "Tags": "标签汇总",
    "revenue = share of order value in the last {days} days; recency = mean days since the "
    "last order.": "收入占比 = 最近 {days} 天订单金额的占比；最近购买天数 = 距上次下单的平均天数。",
    "As of {as_of}: stages by each customer's own purchase cycle (overdue_ratio = days "
    "since the last order / expected_gap_days): active <= {active} expected gaps, silent "
    "> {silent}, churned > {churn} (cycle; {priors}). {revenue_note}": (
        "截至 {as_of}：按每位客户自己的购买周期划分阶段（overdue_ratio = 距上次下单天数 / "
        "expected_gap_days）：活跃 <= {active} 个预期间隔，沉默 > {silent}，流失 > {churn}"
        "（cycle；{priors}）。{revenue_note}"
    ),
    "As of {as_of}: active <= {active} days since the last order, silent > {silent}, "
    "churned > {churn} ({source}). {revenue_note}": (
        "截至 {as_of}：活跃 = 距上次下单 <= {active} 天，沉默 > {silent} 天，流失 > {churn} 天"
        "（{source}）。{revenue_note}"
    ),
    "Wrote {customers} customers to {out}": "已写入 {customers} 位客户到 {out}",
    # design
    "stratum": "分层",
    "n": "人数",
    "base": "基线",
    "MDE": "最小可检测提升",
    "MDE\n{arm}": "最小可检测提升\n{arm}",
    "needed": "所需观察组占比",
    "notes": "备注",
    "Experiment '{name}': {customers} customers": "实验 '{name}'：{customers} 位客户",
    ", baseline {baseline}": "，基线 {baseline}",
    ", alpha {alpha}, power {power}": "，显著性水平 {alpha}，检验功效 {power}",
    ", target lift {lift}": "，目标提升 {lift}",
    "Wrote {out}/assignment.parquet and {out}/design.json (salt {salt}).": (
        "已写入 {out}/assignment.parquet 和 {out}/design.json（盐值 {salt}）。"
    ),
    "holdout<{n}": "观察组<{n}",
    "MDE>target": "最小可检测提升>目标",
    # analyze
    "Campaign analysis: {source}": "活动分析：{source}",
    "Arm": "组别",
    "Customers": "客户数",
    "Conversions": "转化数",
    "Conv. rate": "响应率",
    "Revenue": "收入",
    "Rev. per customer": "人均收入",
    "AOV": "客单价",
    "Segment": "细分",
    "Control": "对照组",
    "Treated": "发送组",
    "Lift [95% CI]": "提升 [95% 置信区间]",
    "Rel. lift [95% CI]": "相对提升 [95% 置信区间]",
    "p": "p值",
    "p (Holm)": "p值（Holm 校正）",
    "p (BH)": "p值（BH 校正）",
    "p (unadjusted)": "p值（未校正）",
    "Lift uncapped [95% CI]": "未截尾提升 [95% 置信区间]",
    "Lift capped [95% CI]": "截尾提升 [95% 置信区间]",
    "p (capped)": "p值（截尾）",
    "Lift raw [95% CI]": "原始提升 [95% 置信区间]",
    "Lift CUPED [95% CI]": "CUPED 提升 [95% 置信区间]",
    "p (CUPED)": "p值（CUPED）",
    "Var. reduction": "方差缩减",
    "Incr. conv.": "增量转化数",
    "Incr. revenue": "增量收入",
    "Message cost": "消息成本",
    "Coupon cost": "优惠券成本",
    "Total cost": "总成本",
    "Cost": "成本",
    "Incr. profit": "增量利润",
    "ROI": "ROI",
    "Cost per incr. conv.": "每增量转化成本",
    "Channel": "渠道",
    "Incr. conversions": "增量转化数",
    "Verdict": "结论",
    "Observed": "实际",
    "Designed": "设计",
    "Chi-square": "卡方",
    "Arms (all segments)": "各组（全部细分）",
    "Arms per segment": "各细分的组别",
    "Conversion: {arm} vs {control}": "响应率：{arm} 对比 {control}",
    "Revenue per customer: {arm} vs {control}": "人均收入：{arm} 对比 {control}",
    "Revenue per customer, capped: {arm} vs {control}": "人均收入（截尾）：{arm} 对比 {control}",
    "Revenue per customer, CUPED: {arm} vs {control}": "人均收入（CUPED）：{arm} 对比 {control}",
    "Money: {arm} vs {control}": "投入产出：{arm} 对比 {control}",
    "Summary: what each channel earned": "摘要：各渠道的收益",
    "Sample ratio check": "样本比例检查",
    "Warnings": "警告",
    "[bold]Campaign analysis[/] of {source}": "[bold]活动分析[/]：{source}",
    "warning: ": "警告：",
    "(left out at this width: {columns}; --wide shows them)": (
        "（此宽度下省略：{columns}；--wide 显示全部列）"
    ),
    "mode": "模式",
    "orders in window": "窗口内订单数",
    "money assumptions from design json": "取自 design.json 的金额假设",
    "order counting": "订单计数",
    "outcomes": "结果文件",
    "refund amount": "退款金额",
    "refund rows": "退款行数",
    "unknown customers ignored": "忽略的未知客户",
    "window days": "窗口天数",
    "window start": "窗口开始",
    "Data": "数据",
    "Generated by uplift-lab {version}.": "由 uplift-lab {version} 生成。",
    "Report written to {out}/ (report.md, report.html, report.json)": (
        "报告已写入 {out}/（report.md、report.html、report.json）"
    ),
    "Control arm: {control}; treated arm(s): {treated}; {count} segment{s}; {level}% "
    "confidence intervals.": (
        "对照组：{control}；发送组：{treated}；{count} 个细分；{level}% 置信区间。"
    ),
    "- (no revenue column)": "-（无收入列）",
    "- (no --cost/--margin)": "-（未给 --cost/--margin）",
    "Totals over all segments against the holdout ({control}), with 95% CIs; the verdict "
    "reads the profit CI when costs and margin are known, else the conversions'.": (
        "全部细分相对观察组（{control}）的合计，含 95% 置信区间；已知成本和毛利率时结论看利润的"
        "置信区间，否则看转化数的。"
    ),
    "Sample ratio mismatch: chi-square goodness of fit vs the designed fractions.": (
        "样本比例不匹配检查：实际人数与设计比例的卡方拟合优度检验。"
    ),
    "Only the arms assigned in each segment.": "仅列出各细分实际分配的组。",
    " An arm with no spread in a segment (no buyer, or all bought) has its standard error "
    "from both arms' pooled variance.": (
        "某细分中没有离散度的组（无人购买或全部购买）的标准误取两组的合并方差。"
    ),
    " † = holdout too small to read (see the warning above).": (
        " † = 观察组太小，无法解读（见上方警告）。"
    ),
    "{arm} paid off: its incremental {what} {interval} is above 0.": (
        "{arm} 有效：增量{what} {interval} 高于 0。"
    ),
    "{arm} lost: its incremental {what} {interval} is below 0.": (
        "{arm} 亏损：增量{what} {interval} 低于 0。"
    ),
    "{arm} is inconclusive: its incremental {what} {interval} covers 0; a larger holdout "
    "would tell.": "{arm} 尚无定论：增量{what} {interval} 包含 0；更大的观察组才能判断。",
    "{arm}: not measurable ({what} has no interval: an arm or holdout is too small).": (
        "{arm}：无法衡量（{what}没有区间：某组或观察组太小）。"
    ),
    "{value} (95% CI {low} to {high})": "{value}（95% 置信区间 {low} 至 {high}）",
    "conversions": "转化数",
    "Conversion rate per arm and segment": "各组各细分的响应率",
    "Cumulative response per arm over the days of the window": "各组在响应窗口内的累计响应",
    "Conversion lift per segment, {arm} vs {control}, with 95% CI": (
        "各细分响应率提升：{arm} 对比 {control}，含 95% 置信区间"
    ),
    "Revenue per customer lift per segment, {arm} vs {control}, with 95% CI": (
        "各细分人均收入提升：{arm} 对比 {control}，含 95% 置信区间"
    ),
    # analyze --by-hour / --schedule tables
    "hour": "小时",
    "day": "天",
    "arm": "组别",
    "lift": "提升",
    "{level} CI": "{level} 置信区间",
    "Response by {unit} ({how})": "按{unit}的响应（{how}）",
    "hour of day of the order": "下单时刻",
    "Response by hour (hour of day of the order)": "按小时的响应（下单时刻）",
    "Response by day (day of the window, 1 = its first)": "按天的响应（窗口内第几天，1 = 第一天）",
    "Response by hours since the send": "按发送后小时数的响应",
    "Imported '{name}': {n} customers": "已导入“{name}”：{n} 位客户",
    "Split matches --expected (chi-square p = {p}; a mismatch is p < 0.001).": (
        "分组比例与 --expected 一致（卡方检验 p = {p}；p < 0.001 才算不一致）。"
    ),
    "Split not checked: pass --expected ARM=FRACTION,... to check it.": (
        "未检查分组比例：传入 --expected 组=比例,... 即可检查。"
    ),
    "Campaign start {start}, response window {days} days (analyze and train use them "
    "by default).": "活动开始 {start}，响应窗口 {days} 天（analyze 和 train 默认使用）。",
    "Wrote {out}/assignment.parquet and {out}/design.json (imported).": (
        "已写入 {out}/assignment.parquet 和 {out}/design.json（导入）。"
    ),
    "expected": "设计比例",
    "hours since the customer's send, 0 = the first hour": "发送后的小时数，0 = 第一小时",
    "Recommended send hour per segment": "各细分的推荐发送时刻",
    "no clear best hour": "无明显最佳时刻",
    "send hour": "发送时刻",
    "best": "最佳",
    "mean": "均值",
    "hours": "小时数",
    "touch/arm": "触达/组别",
    "Response per touch of the schedule": "各触达的响应",
    "orders from": "订单起始",
    "to": "截止",
    "send rate": "发送组响应率",
    "holdout rate": "观察组响应率",
    "day of the window, 1 = its first": "窗口内第几天，1 = 第一天",
    "group": "分组",
    "Lift {lift} pts [{level} CI {low}, {high}], p = {p}": (
        "提升 {lift} 个百分点 [{level} 置信区间 {low}, {high}]，p = {p}"
    ),
    "responded": "响应人数",
    "response rate": "响应率",
    # schedule
    "touch": "触达",
    "channel": "渠道",
    "send time": "发送时间",
    "segments": "细分",
    "sent": "发送数",
    "cost": "成本",
    "Touch '{name}' ({channel})\norders from {start} to {end}": (
        "触达 '{name}'（{channel}）\n订单时间 {start} 至 {end}"
    ),
    "Every treated customer of a touch's segments gets it, whatever its channel.": (
        "触达细分中的每位发送组客户都会收到该触达，无论其渠道。"
    ),
    "Holdout ({control}) held out of every touch.": "观察组（{control}）不参与任何一次触达。",
    "Wrote {count} send list(s) and schedule.json to {out}/.": (
        "已写入 {count} 份发送名单和 schedule.json 到 {out}/。"
    ),
    "Schedule from {start}: {messages} messages": "触达计划（自 {start} 起）：{messages} 条消息",
    # target
    "segment": "细分",
    "selected": "入选",
    "held out": "留出",
    "incr. revenue": "增量收入",
    "budget": "预算",
    "expected profit": "预期利润",
    "<- this budget": "<- 本预算",
    "policy": "策略",
    "picked in past": "过去入选",
    "IPW profit": "IPW 利润",
    "95% CI": "95% 置信区间",
    "incr. revenue/customer": "人均增量收入",
    "profit/message": "每条消息利润",
    "quantity": "指标",
    "estimate": "估计值",
    "std. error": "标准误",
    "incremental revenue": "增量收入",
    "incremental conversions": "增量转化数",
    "incremental profit": "增量利润",
    "Plan per segment and channel (expected values, holdout included)": (
        "各细分与渠道的计划（期望值，含观察组）"
    ),
    "Expected profit vs budget (best plan per budget)": "预期利润与预算（每个预算的最优计划）",
    "Same budget spent by other rules, valued by IPW on the past campaign": (
        "同一预算用于其他规则（以过去活动的 IPW 估值）"
    ),
    "Same budget spent by other rules (valued by the plan's own scores)": (
        "同一预算用于其他规则（以本计划自身的评分估值）"
    ),
    "uplift (this plan)": "增益模型（本计划）",
    "RFM rule (rfm_score)": "RFM 规则（rfm_score）",
    "segments (this plan)": "按细分（本计划）",
    "random": "随机",
    "profit": "利润",
    "point estimate": "点估计",
    "shrunk estimate": "收缩估计",
    "incr. revenue: measured → shrunk toward the channel's mean (empirical Bayes).": (
        "增量收入：实测值 → 向该渠道均值收缩后的值（经验贝叶斯）。"
    ),
    "lower 95% bound": "95% 下限",
    "Measured effects of the past campaign ({basis})": ("过去活动的实测效果（{basis}）"),
    "* the segment's channel: the most profit per message, if positive.": (
        "* 该细分的渠道：每条消息利润最高者（须为正）。"
    ),
    "Off-policy check on the past campaign ({picked} of {n} picked)": (
        "在过去活动上的离线策略检验（{n} 人中入选 {picked} 人）"
    ),
    "Incremental profit each policy's picks earned in the past randomized campaign (95% CI), "
    "independent of the model's scores.": (
        "各策略所选客户在过去随机化活动中实际带来的增量利润（95% 置信区间），与模型评分无关。"
    ),
    "{eligible} eligible of {scored} scored customers; {selected} selected, expected cost "
    "{cost} of budget {budget}, expected incremental profit {profit}.": (
        "已评分客户 {scored} 人，其中符合条件 {eligible} 人；入选 {selected} 人，预期成本 {cost}"
        "（预算 {budget}），预期增量利润 {profit}。"
    ),
    "Holdout {held} customers kept out; send list {send} customers, expected cost {cost}.": (
        "观察组 {held} 人不发送；发送名单 {send} 人，预期成本 {cost}。"
    ),
    "wrote {path}": "已写入 {path}",
    "The plan is optimal (one channel, one cost per message).": (
        "该计划为最优解（单一渠道、单一消息成本）。"
    ),
    "Valued by the plan's own scores, so this is NOT evidence that the plan beats the rules. "
    "Pass --validate-on PAST (a past randomized campaign) to value them independently.": (
        "以本计划自身的评分估值，因此这不能证明本计划优于这些规则。传入 --validate-on PAST"
        "（一次过去的随机化活动）可独立估值。"
    ),
    # demo
    "measured [95% CI]": "实测 [95% 置信区间]",
    "true (planted)": "真实（预设）",
    "true incremental profit": "真实增量利润",
    "uplift (send list)": "增益模型（发送名单）",
    "RFM rule (top rfm_score, SMS)": "RFM 规则（rfm_score 最高者，短信）",
    "random (SMS)": "随机（短信）",
    "predicted = sum of expected profit in the send list (the model); measured = "
    "analyze's incremental profit against the holdout; true = the shop's planted effect.": (
        "预测 = 发送名单中预期利润之和（模型）；实测 = analyze 相对观察组测得的增量利润；"
        "真实 = 模拟店铺预设的效果。"
    ),
    # plan
    "returning": "老客",
    "customer group": "客户类型",
    "GMV": "GMV",
    "orders": "订单数",
    "buyers": "买家数",
    "GMV/buyer": "人均 GMV",
    "growth": "增长",
    "GMV target": "GMV 目标",
    "extra conv.": "额外转化",
    "to message": "需触达",
    "exp. extra GMV": "预期额外 GMV",
    "caveats": "注意事项",
    "no lift: not planned": "无提升：不计划",
    "lift CI includes 0": "提升的置信区间包含 0",
    "small holdout": "观察组偏小",
    "> segment size": "> 细分人数",
    "Last promotion {window} ({days} days) and targets": "上次大促 {window}（{days} 天）与目标",
    "Customers to message per segment (lifts of the past analysis)": (
        "各细分需触达的客户（按过去分析的提升）"
    ),
    "Promotion plan: {window}": "大促计划：{window}",
    "How the plan is computed": "计划的计算方法",
    "Returning GMV target {target} = last {last} x (1 + {growth}): {extra} more, about "
    "{buyers} extra returning buyers at {each} each.": (
        "老客 GMV 目标 {target} = 上次 {last} x (1 + {growth})：多 {extra}，约需额外 {buyers} "
        "位老客买家（每位 {each}）。"
    ),
    " No counted orders before the window: every buyer counts as new.": (
        " 窗口前没有计入的订单：所有买家都算新客。"
    ),
    "Wrote plan.json, plan.md, plan.png and plan.html to {out}": (
        "已写入 plan.json、plan.md、plan.png 和 plan.html 到 {out}"
    ),
    "GMV of the last promotion and this year's target, returning and new customers": (
        "上次大促 GMV 与今年目标：老客与新客"
    ),
    # train / evaluate
    "model": "模型",
    "conversion": "转化",
    "RFM rule": "RFM 规则",
    "purchase prob.": "购买概率",
    "score": "评分",
    "Qini coefficient": "Qini 系数",
    "Qini": "Qini",
    "AUUC": "AUUC",
    "Qini over folds": "各折 Qini",
    "uplift@{k}": "增益@{k}",
    "incremental per 1,000 @{k}": "每千人增量 @{k}",
    "random @{k}": "随机 @{k}",
    "random targeting captures {value} per 1,000 @{k}": "随机触达每千人获得 {value} @{k}",
    "{arm} vs {control}: {outcome}": "{arm} 对比 {control}：{outcome}",
    "{arm} vs {control}": "{arm} 对比 {control}",
    "{arm} vs {control}: mean over {folds} held-out folds": (
        "{arm} 对比 {control}：{folds} 个留出折的均值"
    ),
    "baseline: random targeting": "基线：随机触达",
    "baseline: RFM rule": "基线：RFM 规则",
    "baseline: purchase probability": "基线：购买概率",
    "revenue": "收入",
    "outcome": "结果",
    "sd": "标准差",
    "Chosen model ({name}): {verdict}": "选定模型（{name}）：{verdict}",
    "verdict": "结论",
    "useful": "有用",
    "not useful": "无用",
    "inconclusive": "尚无定论",
    "bin": "分箱",
    "n treated": "发送组人数",
    "n control": "对照组人数",
    "predicted": "预测",
    "observed": "实际",
    "note": "备注",
    "Verdicts": "各评分的结论",
    "Verdict for {label}:": "{label} 的结论：",
    "Calibration of {label}": "{label} 的校准",
    "How to read this": "如何阅读",
    "Uplift model evaluation": "增益模型评估",
    "Uplift evaluation on a later campaign: {name}": "在后续活动上的增益评估：{name}",
    "Evaluated on {n} campaign customers ({treated} treated, {control} control).": (
        "在 {n} 位活动客户上评估（发送组 {treated} 人，对照组 {control} 人）。"
    ),
    "Outcome: {outcome}": "结果：{outcome}",
    "{prefix}{outcome}, models vs baselines (95% CI: customer bootstrap of the held-out "
    "predictions)": "{prefix}{outcome}，模型与基线对比（95% 置信区间：留出预测的客户自助法）",
    "converted": "已转化",
    "chosen": "已选",
    "Report written to {out}/ (report.md, report.html, metrics.json, PNGs)": (
        "报告已写入 {out}/（report.md、report.html、metrics.json、PNG 图）"
    ),
}
"""Table headers, titles, sentences (English templates with ``{placeholders}``)."""


@functools.cache
def label_table() -> dict[str, str]:
    """English label -> Chinese label: the one table every report reads.

    The RFM class names come from :data:`uplift_lab.rfm_classes.RFM_CLASS_NAMES_ZH` (the
    ``rfm_class_zh`` column of segment's output), so they have one source.
    """
    return {
        **LIFECYCLE_ZH,
        **RFM_CLASS_NAMES_ZH,
        **ARMS_ZH,
        **VALUES_ZH,
        **HEADERS_ZH,
        **NOTICES_ZH,
        **STEP_NOTICES_ZH,
        **VERDICTS_ZH,
        **METHOD_NOTES_ZH,
    }


SAME_MEANING = (
    frozenset({"treated", "Treated", "send"}),  # the treated arm is the send group
    frozenset({"control", "Control"}),
    frozenset({"customers", "Customers"}),
    frozenset({"cost", "Cost"}),
    frozenset({"segment", "Segment", "segments"}),
    frozenset({"channel", "Channel"}),
    frozenset({"arm", "Arm"}),
    frozenset({"conversions", "Conversions"}),
    frozenset({"incremental revenue", "incr. revenue", "Incr. revenue"}),
    frozenset({"incremental profit", "Incr. profit"}),
    frozenset({"incremental conversions", "Incr. conversions", "Incr. conv."}),
    frozenset({"revenue", "Revenue"}),
    frozenset({"Conv. rate", "response rate"}),
    frozenset({"notes", "note"}),
    frozenset({"observed", "Observed"}),
    frozenset({"verdict", "Verdict"}),
)
"""English labels that intentionally share one Chinese label (checked by the tests).

A Chinese template may leave out ``{s}``, the English plural ending."""

_AMOUNT = re.compile(r"(?<![\w.,¥])([+-]?)(\d[\d,]*(?:\.\d+)?)(?![.,]?\d|[\w%])")


@dataclass(frozen=True, slots=True)
class Labels:
    """The labels of one language: call with an English label (or template) to get its text."""

    lang: Lang = Lang.en

    def __call__(self, label: str, /, **values: object) -> str:
        """``label`` in this language, its ``{placeholders}`` filled from ``values``."""
        template = label_table().get(label, label) if self.lang is Lang.zh else label
        return template.format(**values) if values else template

    def value(self, value: object) -> str:
        """A data value shown as a row label (a stage, RFM class, arm, band), translated; a
        stratum of several columns (``silent|sms``) part by part."""
        text = str(value)
        if self.lang is Lang.en or text in label_table() or "|" not in text:
            return self(text)
        return "|".join(self(part) for part in text.split("|"))

    def money(self, text: str) -> str:
        """Formatted amounts as money: with zh every number gets a ¥ (``+1,234.50`` ->
        ``+¥1,234.50``); with en the text is returned unchanged."""
        if self.lang is not Lang.zh:
            return text
        return _AMOUNT.sub(r"\1¥\2", text)

    @property
    def html_lang(self) -> str:
        """The ``<html lang>`` attribute of the language."""
        return "zh-CN" if self.lang is Lang.zh else "en"


EN = Labels(Lang.en)
ZH_LABELS = Labels(Lang.zh)


def labels_for(lang: Lang | str = Lang.en) -> Labels:
    """The :class:`Labels` of ``--lang``."""
    return Labels(Lang(lang))
