"""The Chinese of the notices' sentences (English template -> Chinese), a part of the label table
of :mod:`uplift_lab.report.labels` kept in its own module; the English templates are
:mod:`uplift_lab.report.notice_text`'s."""

from __future__ import annotations

NOTICES_ZH = {
    # the templates of uplift_lab.report.notice_text
    "Intent to treat: customers are analysed by their assigned arm, whether or not the message "
    "was delivered (failed sends and opt-outs stay in their treated arm).": (
        "意向处理：客户按分配的组别分析，无论消息是否送达（发送失败和退订的客户仍留在其发送组）。"
    ),
    "Analysed from aggregated cells (sufficient statistics per segment x arm): the whale-share "
    "check, the revenue cap and the daily response curve need one row per customer and were "
    "skipped.": (
        "基于汇总单元（各细分 × 组别的充分统计量）分析：大客户占比检查、收入截尾和每日响应曲线"
        "需要每位客户一行数据，已跳过。"
    ),
    "Analysed from aggregated cells (sufficient statistics per segment x arm): the daily "
    "response curve needs one row per customer and was skipped.": (
        "基于汇总单元（各细分 × 组别的充分统计量）分析：每日响应曲线需要每位客户一行数据，已跳过。"
    ),
    "No customer of the experiment converted: check the outcomes file (ids, --start, "
    "--window-days) before reading anything below.": (
        "实验中没有任何客户转化：阅读下文之前，请检查结果文件（客户 ID、--start、--window-days）。"
    ),
    "SAMPLE RATIO MISMATCH in segment '{segment}': observed {observed} vs designed {designed} "
    "(chi-square p = {p_value:.2g}). The split is not what was designed: find the cause (lost "
    "customers, a filter applied to one arm, a re-run assignment) before trusting any number "
    "below.": (
        "样本比例失衡：细分 '{segment}' 实际为 {observed}，设计为 {designed}（卡方检验 p = "
        "{p_value:.2g}）。分组与设计不符：在相信下文任何数字之前，先查明原因（客户丢失、只对一组"
        "做了筛选、重新运行了分配）。"
    ),
    "Sample ratio mismatch could not be checked: the designed arm fractions are unknown. Pass "
    "them, e.g. --expected '{example}' for an even split (or analyse a design folder).": (
        "无法检查样本比例失衡：设计的各组比例未知。请传入比例，例如均分时用 --expected "
        "'{example}'（或分析一个设计文件夹）。"
    ),
    "Holdout too small to read in {unreadable} of {comparisons} comparison(s) against "
    "{control}, marked † in the tables (the CI crosses zero and is wider, each way, than a "
    "quarter of the control's rate, or an arm has fewer than {min_count} conversions or "
    "non-conversions, too few for the normal approximation): "
    "{details}. A bigger holdout (or a longer window) is needed to read them; the overall rows "
    "pool them with the rest.": (
        "相对 {control} 的 {comparisons} 个比较中有 {unreadable} 个观察组太小、无法解读，表中以 † "
        "标出（置信区间跨过零且每侧宽于对照组转化率的四分之一，"
        "或某组的转化数或未转化数少于 {min_count}，不足以用正态近似）："
        "{details}。需要更大的观察组（或更长的窗口）才能解读；总体行将它们与其余细分合并计算。"
    ),
    "Revenue is dominated by a few buyers: the top 1% of buyers hold {share:.0%} of revenue, so "
    "revenue effects are fragile. Compare with --cap-revenue 0.999.": (
        "收入集中在少数买家：前 1% 的买家贡献了 {share:.0%} 的收入，收入效应不稳定。"
        "可与 --cap-revenue 0.999 的结果对比。"
    ),
    "p-values are NOT adjusted for the {comparisons} comparisons: some 'significant' segments "
    "are expected by chance. Use --adjust holm or bh.": (
        "p 值未针对 {comparisons} 次比较做校正：部分“显著”的细分可能只是偶然。"
        "请使用 --adjust holm 或 bh。"
    ),
    "Each stratum holds the control and one channel, so each channel is compared only with the "
    "control of its own strata: {where}.": (
        "每个分层包含对照组和一个渠道，因此每个渠道只与其所在分层的对照组比较：{where}。"
    ),
    "Each arm is compared only in the segments it was assigned to: {where}.": (
        "每个组只在其被分配到的细分中比较：{where}。"
    ),
    "{arm} in {where}": "{where}中的 {arm}",
    "no segment": "无细分",
    "'{segment}' ({control_n:,} control)": "'{segment}'（对照组 {control_n:,} 人）",
    "{where} one arm is empty": "{where}：有一组为空",
    "{where} no conversions to compare": "{where}：没有可比较的转化",
    "{where} lift {lift:+.2f} pp ±{half_width:.2f}": (
        "{where}：提升 {lift:+.2f} 个百分点 ±{half_width:.2f}"
    ),
    " ({counts})": "（{counts}）",
    "{conversions} conversion(s) of {n:,} in {arm}": "{arm} 的 {n:,} 人中有 {conversions} 人转化",
    "The orders file {shown}, before the response window ({window_first} to {window_last}) "
    "starts: no response can be measured. Check --start, or export the orders of the window.": (
        "订单文件{shown}，早于响应窗口（{window_first} 至 {window_last}）的开始：无法测量任何响应。"
        "请检查 --start，或导出窗口内的订单。"
    ),
    "has no order": "没有订单",
    "ends on {date}": "截止于 {date}",
    "The orders file ends on {last_order}, inside the response window ({window_first} to "
    "{window_last}): only {covered_days} of its {window_days} days are covered, so later "
    "responses are missing in both arms and the lift reads low. Export orders up to the "
    "window's end, or pass --window-days {covered_days}.": (
        "订单文件截止于 {last_order}，在响应窗口（{window_first} 至 {window_last}）之内："
        "{window_days} 天中只覆盖了 {covered_days} 天，两组之后的响应都缺失，提升会被低估。"
        "请导出截至窗口结束的订单，或传入 --window-days {covered_days}。"
    ),
    "{rows:,} outcome row(s) of customers who are not in the experiment were ignored.": (
        "已忽略 {rows:,} 行不在实验中的客户的结果数据。"
    ),
    "Orders: {lines}.": "订单：{lines}。",
    "no --as-of given: segmented as of {as_of}, the day after the latest counted order "
    "({latest}); pass --as-of to segment as of another date": (
        "未指定 --as-of：以 {as_of} 为统计日分群，即最后一笔计入的订单（{latest}）的次日；"
        "如需其他日期，请传入 --as-of"
    ),
    "none of the customer table's {customers:,} ids is one of the {buyers:,} buyers' (e.g. "
    "{examples[0]!r} against {examples[1]!r}): the two files write ids otherwise (leading zeros, "
    "spaces, case), so no customer has both orders and attributes; make the id columns alike": (
        "客户表的 {customers:,} 个 ID 中没有一个属于 {buyers:,} 位购买客户"
        "（例如 {examples[0]!r} 与 {examples[1]!r}）：两个文件的 ID 写法不同"
        "（前导零、空格、大小写），因此没有客户同时具有订单和属性；请统一两边的 ID 列"
    ),
    "{customers:,} customer(s) have a negative monetary value: refund rows netted below their "
    "purchases in the window (refunds of orders before it, or of orders the file lacks)": (
        "{customers:,} 位客户的消费金额为负：退款行冲减后低于其窗口内的购买"
        "（退款对应的订单在窗口之前，或不在文件中）"
    ),
    "the latest order is {days:,} days before the as-of date, so every customer reads as lapsed; "
    "check --as-of (the campaign's start) and that the file holds the recent orders": (
        "最近一笔订单比统计日早 {days:,} 天，因此所有客户都显示为流失；"
        "请检查 --as-of（活动开始日）以及文件是否包含近期订单"
    ),
    "only {repeat_buyers:,} customers ordered on two different days before the as-of date "
    "(cycle stages need {min_repeat_buyers:,}), so lifecycle uses the day rules (active "
    "{active_days}, silent {silent_days}, churn {churn_days} days); pass --thresholds fixed to "
    "silence this": (
        "截至统计日只有 {repeat_buyers:,} 位客户在两个不同的日期下过单（购买周期阶段需要 "
        "{min_repeat_buyers:,} 位），因此生命周期改用天数规则（活跃 {active_days}、沉默 "
        "{silent_days}、流失 {churn_days} 天）；传入 --thresholds fixed 可不再提示"
    ),
    "{n:,} extra line-item row(s) merged into their order": "{n:,} 行多余的商品明细已并入其订单",
    "{n:,} row(s) with status '{status}' not counted": "{n:,} 行状态为 '{status}' 的记录未计入",
    "{n:,} unpaid row(s) (no payment time) not counted": "{n:,} 行未付款记录（无付款时间）未计入",
    "{n:,} fully refunded order(s) not counted": "{n:,} 笔全额退款订单未计入",
    "{n:,} partly refunded order(s) counted at their net": "{n:,} 笔部分退款订单按净额计入",
    "{n:,} refund row(s) netted into customer totals": "{n:,} 行退款记录已从客户合计中扣除",
    "{n:,} refund row(s) netted into the order whose id they repeat": (
        "{n:,} 行退款记录已从其订单号对应的订单中扣除"
    ),
}
