"""The Chinese of the step notices' sentences (English template -> Chinese), a part of the label
table of :mod:`uplift_lab.report.labels` kept in its own module; the English templates are
:mod:`uplift_lab.report.step_notice_text`'s (design, import-campaign, target, the model's
evaluation, the data readers)."""

from __future__ import annotations

STEP_NOTICES_ZH = {
    # design
    "stratum '{stratum}': holdout of {n} customer(s) is below --min-holdout {min_holdout}; its "
    "lift cannot be read": (
        "分层 '{stratum}'：观察组只有 {n} 位客户，低于 --min-holdout {min_holdout}，其提升无法解读"
    ),
    "{where}, arm '{arm}': minimum detectable lift {mde} is larger than the target lift "
    "{target_lift:.2%}": (
        "{where}，组别 '{arm}'：最小可检测提升（{mde}）大于目标提升 {target_lift:.2%}"
    ),
    "overall": "总体",
    "stratum '{stratum}'": "分层 '{stratum}'",
    "not detectable": "无法检测",
    "stratum '{stratum}', arm '{arm}': covariate '{covariate}' is imbalanced (SMD {smd:+.3f}, "
    "|SMD| > {threshold:g}; chance alone gives SMDs of about ±{noise:.3f} here)": (
        "分层 '{stratum}'，组别 '{arm}'：协变量 '{covariate}' 不平衡（SMD {smd:+.3f}，|SMD| > "
        "{threshold:g}；此处仅凭偶然，SMD 约为 ±{noise:.3f}）"
    ),
    "{covariates} covariate(s) with |SMD| > {threshold:g} in strata whose holdout is below "
    "--min-holdout {min_holdout} (small groups differ by chance; design.json)": (
        "观察组低于 --min-holdout {min_holdout} 的分层中有 {covariates} 个协变量 |SMD| > "
        "{threshold:g}（小组之间本就会偶然不同；见 design.json）"
    ),
    "stratum '{stratum}': holdout of {n} customer(s) is below {min_holdout}; its lift cannot be "
    "read on its own": (
        "分层 '{stratum}'：观察组只有 {n} 位客户，少于 {min_holdout}，其提升无法单独解读"
    ),
    # target
    "no --model given: whether the scores' model beats random targeting is not checked (pass "
    "--model MODEL_DIR, the folder train wrote)": (
        "未给 --model：未检查评分所用的模型是否优于随机触达（请传入 --model MODEL_DIR，即 train "
        "写出的文件夹）"
    ),
    "--policy segments: {scores} is not used (no model needed)": (
        "--policy segments：未使用 {scores}（无需模型）"
    ),
    "channel '{channel}' dropped: its model is {verdict} Its customers can still get the other "
    "channels": "已去掉渠道 '{channel}'：其模型 {verdict} 其客户仍可收到其他渠道的消息",
    " (kept: --accept-weak-model)": "（已保留：--accept-weak-model）",
    "channel '{channel}' kept, but its model is not shown to beat random targeting ({clause}): "
    "its calibrated predictions lean on the average effect the past campaign measured, and this "
    "send's holdout will tell": (
        "保留渠道 '{channel}'，但其模型未被证明优于随机触达（{clause}）：其校准后的预测依赖过去"
        "活动测得的平均效果，本次发送的观察组会给出答案"
    ),
    "channel(s) {channels}: the model has no arm of that name, so their scores are not checked": (
        "渠道 {channels}：模型中没有同名的组，因此未检查其评分"
    ),
    "{customers:,} scored customer(s) are not in the segments file and are not eligible": (
        "{customers:,} 位已评分客户不在细分文件中，不符合条件"
    ),
    "--holdout 0: no holdout, so nobody will be able to measure what this campaign earned": (
        "--holdout 0：没有观察组，将无法衡量本次活动的收益"
    ),
    "{small} of {holdouts} segment x channel holdouts have fewer than {min_holdout} customers "
    "(smallest: '{smallest}' with {size}): read their lifts together (overall per channel), not "
    "one by one": (
        "{holdouts} 个细分 × 渠道的观察组中有 {small} 个少于 {min_holdout} 位客户（最小的是 "
        "'{smallest}'，{size} 位）：请合并解读其提升（按渠道看总体），不要逐个解读"
    ),
    "{past}: none of the past campaign's customers is picked by this plan": (
        "{past}：本计划没有选中过去活动中的任何客户"
    ),
    "the plan predicts {predicted:,.2f} profit for its {picks:,} picks that were in the past "
    "campaign; the campaign measured {measured:,.2f} for them ({confidence:.0%} CI "
    "{ci_low:,.2f} to {ci_high:,.2f})": (
        "本计划预测其在过去活动中的 {picks:,} 位入选客户带来 {predicted:,.2f} 利润；该活动实测为 "
        "{measured:,.2f}（{confidence:.0%} 置信区间 {ci_low:,.2f} 至 {ci_high:,.2f}）"
    ),
    "{where}: consistent": "{where}：二者一致",
    "{where}: the prediction is {side} what was measured, so the plan's expected profit is not "
    "borne out (the model's levels are off, or the customers have changed since)": (
        "{where}：预测{side}实测值，因此本计划的预期利润没有得到印证（模型的水平有偏差，或客户"
        "此后已有变化）"
    ),
    "above": "高于",
    "below": "低于",
    # the data readers
    "{source}: column '{column}' mixes the offsets {shown}, one hour apart: a zone with summer "
    "time (daylight saving) writes them so. All times were converted to {target}, the offset of "
    "its first value, which moves the other season's times by an hour (and some across "
    "midnight). Pass --timezone with the shop's zone (e.g. America/New_York, Europe/Berlin) to "
    "keep its calendar days": (
        "{source}：列 '{column}' 混用了相差一小时的偏移 {shown}：实行夏令时的时区会这样记录。"
        "所有时间已换算为其第一个值的偏移 {target}，"
        "另一季节的时间因此移动一小时（部分会跨过午夜）。"
        "传入 --timezone 指定店铺所在时区（例如 America/New_York、Europe/Berlin）以保留其日历日"
    ),
    "{source}: column '{column}' mixes time-zone offsets ({shown}); all times were converted to "
    "{target}, the offset of its first value. Pass --timezone (e.g. Asia/Shanghai) to choose the "
    "shop's zone": (
        "{source}：列 '{column}' 混用了多个时区偏移（{shown}）；所有时间已换算为其第一个值的偏移 "
        "{target}。传入 --timezone（例如 Asia/Shanghai）可指定店铺所在的时区"
    ),
    "{path}: its header reads as {header!r} in {encoding}, which looks garbled; if these are not "
    "the column names, pass the file's encoding, e.g. --encoding big5 (or gbk, gb18030, utf-16)": (
        "{path}：按 {encoding} 读出的表头为 {header!r}，看起来是乱码；如果这不是列名，请传入文件的"
        "编码，例如 --encoding big5（或 gbk、gb18030、utf-16）"
    ),
    "{source}: column '{column}' holds Unix times in {unit} (since 1970-01-01 UTC), read as UTC "
    "wall-clock times. Pass --timezone (e.g. Asia/Shanghai) for the shop's calendar days": (
        "{source}：列 '{column}' 是 Unix 时间（{unit}，自 1970-01-01 UTC 起），已按 UTC 时间读取。"
        "传入 --timezone（例如 Asia/Shanghai）可按店铺所在时区的日历日计算"
    ),
    "{source}: {repeated} of its first {rows} rows repeat another row's customer, time and "
    "amount: one row per product line? Each row counts as an order (frequency and monetary "
    'count every line). Map the order id and line_items = "first" in a --columns map to count '
    "each order once": (
        "{source}：前 {rows} 行中有 {repeated} 行与另一行的客户、时间和金额完全相同："
        "是否每行是一个商品明细？每行都会被算作一笔订单（频次和金额会按每个明细计算）。"
        '请在 --columns 列映射中映射订单号并设置 line_items = "first"，使每笔订单只计一次'
    ),
    "{source}: no column '{id_col}' (the scores' id): its column '{column}', named like a "
    "customer id, is joined with the scores' '{id_col}'": (
        "{source}：没有列 '{id_col}'（打分文件的 ID）：改用其名称像客户 ID 的列 '{column}'，"
        "与打分文件的 '{id_col}' 关联"
    ),
    "{source}: column '{column}' is named like a customer id and its values are unique: it "
    "keys the model and the scores. Pass --id-col to choose another": (
        "{source}：列 '{column}' 的名称像客户 ID，且取值唯一：模型和打分以它为键。"
        "如需另选，请传入 --id-col"
    ),
    "channel(s) {channels}: no model of their own (the scores' arms: {arms}), so they are valued "
    "by the shared uplift_revenue as if they moved customers as much; pass --response "
    "CHANNEL=FACTOR (e.g. {example}=0.35) where a channel moves them less": (
        "渠道 {channels}：没有自己的模型（打分中的组：{arms}），因此按共用的 uplift_revenue "
        "估值，视同效果一样；若某渠道效果较弱，请传入 --response 渠道=系数（例如 {example}=0.35）"
    ),
    "{analysis}: its one treated arm '{arm}' is read as the channel '{channel}' (the one "
    "channel given)": "{analysis}：其唯一的处理组 '{arm}' 视为渠道 '{channel}'（只给了这一个渠道）",
    "the power figures assume a {baseline:.0%} response rate in every stratum (the default): "
    "pass --baseline-from REPORT.json (a past analyze report: each segment's control rate), "
    "--baseline-col COL or --baseline RATE for the shop's own rates": (
        "功效数字假设每个分层的响应率均为 {baseline:.0%}（默认值）：传入 --baseline-from "
        "REPORT.json（以往 analyze 报告：各细分的对照组响应率）、--baseline-col 列 或 "
        "--baseline 比率，以使用店铺自己的响应率"
    ),
    "{past} is the file {model} was trained on: valued on it, the plan and the rules are judged "
    "on outcomes the model has seen, so the comparison is not independent (pass a later "
    "campaign, or one held out from training)": (
        "{past} 正是 {model} 训练所用的文件：用它估值，计划和规则是在模型见过的结果上评判的，"
        "因此这一比较并不独立（请传入之后的活动，或训练时留出的活动）"
    ),
    "{source}: column '{column}' is written in UTC (Z or +00:00), so days and hours are UTC's; "
    "pass --timezone with the shop's zone (e.g. Asia/Shanghai) to read them on the shop's clock": (
        "{source}：列 '{column}' 以 UTC 时间记录（Z 或 +00:00），因此日期和小时按 UTC 计算；"
        "传入 --timezone 指定店铺所在时区（例如 Asia/Shanghai），按店铺时钟读取"
    ),
    "{outside} of {sends} send(s) fall outside the response window {start} to {end} (sends "
    "from {first} to {last}): a start after the sends leaves out the orders they caused, one "
    "before them measures days no message was in. Check --start and --window-days": (
        "{sends} 次发送中有 {outside} 次落在响应窗口 {start} 至 {end} 之外（发送时间 {first} 至 "
        "{last}）：窗口晚于发送会漏掉发送带来的订单，早于发送则衡量的是没有消息的日子。"
        "请检查 --start 和 --window-days"
    ),
    "{source}: column '{column}' ({statuses}) is not read: every logged send stays in its arm, "
    "delivered or not (intent to treat: what sending achieves, failures included)": (
        "{source}：列 '{column}'（{statuses}）未读取：每条发送记录都留在其组中，无论是否送达"
        "（意向性分析：衡量发送本身的效果，包括发送失败）"
    ),
    "{source}: column '{column}' is named like a customer id but repeats or misses values, so "
    "the model and the scores are keyed by row number (row 0, 1, ...); pass --id-col to name "
    "the id": (
        "{source}：列 '{column}' 的名称像客户 ID，但有重复或缺失值，因此模型和打分以行号为键"
        "（row 0、1、……）；请传入 --id-col 指定 ID 列"
    ),
    "{source}: outcome column '{column}' holds only '{positive}' and '{negative}': "
    "'{positive}' is read as converted (1), '{negative}' as not (0)": (
        "{source}：结果列 '{column}' 只有 '{positive}' 和 '{negative}' 两个值：'{positive}' "
        "视为已转化（1），'{negative}' 视为未转化（0）"
    ),
    "{source}: column '{column}' holds only '{control}' and '{arm}', a treatment indicator: "
    "'{control}' is read as the control (holdout) arm. Pass --control to choose otherwise": (
        "{source}：列 '{column}' 只有 '{control}' 和 '{arm}' 两个值，是处理标记：'{control}' "
        "被视为对照（观察）组。如需另选，请传入 --control"
    ),
    "{source}: column '{column}' holds money written as text (e.g. '{example}'), read as numbers "
    "without the currency sign and thousands separators": (
        "{source}：列 '{column}' 的金额写成了文本（例如 '{example}'），已去掉货币符号和千位分隔符后"
        "按数字读取"
    ),
    "{source}: column '{column}' holds Excel serial dates (days since 1899-12-30, e.g. {example} "
    "= {date}), read as dates. Format the column as dates in the spreadsheet if they are not": (
        "{source}：列 '{column}' 是 Excel 日期序列号（自 1899-12-30 起的天数，例如 {example} = "
        "{date}），已按日期读取。如果它们不是日期，请在表格中把该列设为日期格式后再导出"
    ),
    "seconds": "秒",
    "milliseconds": "毫秒",
    "microseconds": "微秒",
    "nanoseconds": "纳秒",
    "arm '{arm}': none of its {customers:,} customers has an outcome row, where the other arms' "
    "rate gives about {expected:,.0f}: its ids are most likely written otherwise than the "
    "outcomes' (e.g. '+86 138...' against '138...', or lost leading zeros); make the two id "
    "columns alike, or its rates read as zero": (
        "组别 '{arm}'：其 {customers:,} 位客户都没有结果记录，"
        "而按其他组的比例应约有 {expected:,.0f} 条："
        "其 ID 写法很可能与结果文件不同（例如 '+86 138...' 与 '138...'，或丢失了前导零）；"
        "请统一两边的 ID 列，否则其各项比率会读作零"
    ),
    "{option} '{status}' matches no row of column '{column}' (its statuses: {present}); check "
    "the spelling": (
        "{option} '{status}' 与列 '{column}' 的任何一行都不匹配（该列的状态：{present}）；"
        "请检查拼写"
    ),
    "{path}: column {column!r} read {example!r} with its dots as thousands separators (as a "
    'semicolon file writes them); if they are decimal points, add decimal = "." to the file\'s '
    "section of a --columns map": (
        "{path}：列 {column!r} 中的 {example!r} 按千位分隔点读取（分号分隔的文件通常如此书写）；"
        '若这些点是小数点，请在 --columns 映射文件中该文件的部分加上 decimal = "."'
    ),
    "{path}: column '{column}' has the labels {labels}, which differ only in letter case: read "
    "as one arm '{arm}'": (
        "{path}：列 '{column}' 中的标签 {labels} 仅大小写不同：按同一组 '{arm}' 读取"
    ),
    "{path}: {lines} line(s) above the column names skipped (a title such as {first!r}); the "
    "header read is line {header_line}": (
        "{path}：已跳过列名上方的 {lines} 行（例如标题 {first!r}）；表头取自第 {header_line} 行"
    ),
    "{path}: read its first sheet {sheet!r}; its other sheet(s) {others} are not read (choose "
    'one with sheet = "NAME" in the file\'s section of the --columns map, or stack them all with '
    'sheet = "*")': (
        "{path}：只读取了第一个工作表 {sheet!r}，其余工作表 {others} 未读取（在 --columns "
        '列映射文件该文件的节中用 sheet = "名称" 选择一个，或用 sheet = "*" 把它们全部叠加）'
    ),
    "named feature(s) {features} differ between the arms far beyond chance: measured after the "
    "send, or the arms were not randomized over them. Kept because --features names them, but a "
    "model that learns an outcome of the send ranks by it (leave them out of --features)": (
        "指定的特征 {features} 在各组之间的差异远超偶然：它们是发送之后才测得的，或者分组"
        "并未对其随机。因 --features 指定而保留，但学到发送结果的模型会按它排序"
        "（请从 --features 中去掉）"
    ),
    "named feature(s) {features}: every row away from its most common value converted, far "
    "beyond chance, so it is another outcome of the send. Kept because --features names it, but "
    "it is not known before a send (leave it out of --features)": (
        "指定的特征 {features}：凡不取其最常见值的行全部转化，远超偶然，因此它是本次发送的另一个"
        "结果。因 --features 指定而保留，但发送之前无法得知它（请从 --features 中去掉）"
    ),
    # the model's evaluation
    "no {missing} customers in this set: no metric can be computed": (
        "此数据集中没有{missing}客户：无法计算任何指标"
    ),
    "the outcome does not vary: Qini and AUUC are undefined": "结果没有变化：Qini 和 AUUC 无定义",
    "uplift@{k:.0%}: no {missing} customers among the top {top}, so uplift and incremental "
    "outcome there cannot be measured": (
        "增益@{k:.0%}：前 {top} 位客户中没有{missing}客户，因此无法衡量该处的增益和增量结果"
    ),
    "customer bootstrap on a stratified subsample of {rows:,} of {total:,} rows, intervals "
    "rescaled to the full size (m-out-of-n bootstrap)": (
        "客户自助法基于 {total:,} 行中 {rows:,} 行的分层子样本，区间已按全量规模换算"
        "（m-out-of-n 自助法）"
    ),
    "no RFM baseline: the data has neither '{rfm_col}' nor two of recency/frequency/monetary": (
        "无 RFM 基线：数据既没有 '{rfm_col}'，也没有 recency/frequency/monetary 中的任意两列"
    ),
    "RFM rule ranks by {columns}": "RFM 规则按 {columns} 排序",
    "no purchase-probability baseline: no '{column}' column": "无购买概率基线：没有 '{column}' 列",
    "Warning: the chosen model for {arm} vs {control}, {outcome} does not beat random targeting "
    "on the held-out folds ({verdict}). `target --model` drops this channel; `target --policy "
    "segments` targets by the measured effects instead.": (
        "警告：{arm} 对比 {control}（{outcome}）的选定模型在留出折上不优于随机触达（{verdict}）。"
        "`target --model` 会去掉该渠道；`target --policy segments` 则按实测效果选择客户。"
    ),
    "Note: the chosen model for {arm} vs {control}, {outcome} is not shown to beat random "
    "targeting ({verdict}).": (
        "注意：{arm} 对比 {control}（{outcome}）的选定模型未被证明优于随机触达（{verdict}）。"
    ),
    "Warning: the chosen model for {arm} vs {control}, {outcome} is not shown to beat the RFM "
    "rule: its Qini minus the RFM rule's is {shown}{interval}.": (
        "警告：{arm} 对比 {control}（{outcome}）的选定模型未被证明优于 RFM 规则：其 Qini 减去 "
        "RFM 规则的 Qini 为 {shown}{interval}。"
    ),
    "n/a": "无法计算",
    " (95% CI {low:+.3f} to {high:+.3f})": "（95% 置信区间 {low:+.3f} 至 {high:+.3f}）",
    # import-campaign
    "SAMPLE RATIO MISMATCH {place}: observed {observed} vs --expected {intended} (chi-square p = "
    "{p_value:.2g}). The split is not what was intended: find the cause (customers lost from one "
    "arm, a filter, a re-run) before trusting any analysis": (
        "样本比例失衡（{place}）：实际为 {observed}，--expected 为 {intended}（卡方检验 p = "
        "{p_value:.2g}）。分组与预期不符：在相信任何分析之前，先查明原因（某组客户丢失、做了筛选、"
        "重新运行）"
    ),
    "in stratum '{stratum}'": "分层 '{stratum}' 内",
    "stratum '{stratum}': holdout of {n:,} customer(s) is below {min_holdout}; its lift cannot "
    "be read": "分层 '{stratum}'：观察组只有 {n:,} 位客户，少于 {min_holdout}，其提升无法解读",
    "{sends:,} send(s) without a send time in column '{column}' (failed deliveries, as a send "
    "log writes them) kept in their arm: intent to treat": (
        "列 '{column}' 中有 {sends:,} 条发送没有发送时间（发送日志中的发送失败记录），"
        "仍保留在其组中：意向性分析"
    ),
    "{sends:,} repeated send(s) of the same customer on the same channel collapsed (first send "
    "kept)": "同一客户在同一渠道的 {sends:,} 次重复发送已合并（保留第一次发送）",
}
