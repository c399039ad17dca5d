"""The Chinese of the verdict's sentence (English template -> Chinese), a part of the label table
of :mod:`uplift_lab.report.labels`; the English templates are
:mod:`uplift_lab.uplift.verdict_text`'s, filled by the same
:func:`~uplift_lab.uplift.verdict_text.verdict_sentence`, so both languages say the same numbers."""

from __future__ import annotations

VERDICTS_ZH = {
    "{word}: {reason}": "{word}：{reason}",
    "{sentence}.": "{sentence}。",
    "{sentence}. {then}": "{sentence}。{then}",
    "Qini coefficient {qini:.3f}": "Qini 系数 {qini:.3f}",
    "Qini coefficient {qini:.3f} (95% CI {low:.3f} to {high:.3f}, {where})": (
        "Qini 系数 {qini:.3f}（95% 置信区间 {low:.3f} 至 {high:.3f}，{where}）"
    ),
    "customer bootstrap, {replicates} replicates": "客户自助法，{replicates} 次重抽样",
    "over folds": "基于各折",
    "{value:+.2f} pp": "{value:+.2f} 个百分点",
    "its top bin's observed uplift ({top}) beats its bottom bin's ({bottom})": (
        "最高分箱的实际增益（{top}）高于最低分箱（{bottom}）"
    ),
    "its top bin's observed uplift ({top}) does not beat its bottom bin's ({bottom})": (
        "最高分箱的实际增益（{top}）不高于最低分箱（{bottom}）"
    ),
    "the top or bottom bin lacks treated or control customers, so they cannot be compared": (
        "最高或最低分箱缺少发送组或对照组客户，二者无法比较"
    ),
    "the Qini coefficient is undefined (the outcome does not vary)": (
        "Qini 系数无定义（结果没有变化）"
    ),
    "the {qini} is not above 0": "{qini} 不高于 0",
    "{reasons}; {reason}": "{reasons}；{reason}",
    "Targeting by this score is not shown to beat random targeting.": (
        "没有证据表明按此评分触达优于随机触达。"
    ),
    "{bins} and the {qini} is above 0, but a one-sided test of 'better than random' gives p = "
    "{p_value:.3f} (below {alpha:g} needed), so this held-out data cannot tell it from random "
    "targeting (it would show a Qini of {detectable:.3f} or more {power:.0%} of the time)": (
        "{bins}，且 {qini} 高于 0，但“优于随机”的单侧检验给出 p = {p_value:.3f}（需低于 "
        "{alpha:g}），因此这份留出数据无法把它与随机触达区分开（真实 Qini 达到 {detectable:.3f} "
        "或更高时，{power:.0%} 的情况下才能看出）"
    ),
    "the {qini} is above 0, but {bins}, so this held-out data does not agree with itself": (
        "{qini} 高于 0，但{bins}，这份留出数据自相矛盾"
    ),
    "{bins} and the {qini} is above 0{test}": "{bins}，且 {qini} 高于 0{test}",
    " (one-sided test of 'better than random': p = {p_value:.3f})": (
        "（“优于随机”的单侧检验：p = {p_value:.3f}）"
    ),
    "a random order by construction; its Qini coefficient {qini:.3f} shows how far chance alone "
    "moves the metric here": (
        "按构造即为随机排序；其 Qini 系数 {qini:.3f} 表明此处仅凭偶然能让该指标偏离多远"
    ),
    "A larger holdout would tell: `uplift-lab target` keeps a random holdout in every send, so "
    "the next campaign measures this model's uplift directly.": (
        "更大的观察组才能判断：`uplift-lab target` 在每次发送中都保留随机观察组，下一次活动会"
        "直接测出该模型的增益。"
    ),
}
