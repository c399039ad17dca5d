"""The Chinese of the verdict's sentence (English template -> Chinese), a part of the label table
of :mod:`uplift_lab.report.labels`; the English templates are
:mod:`uplift_lab.uplift.verdict_text`'s, filled by the same
:func:`~uplift_lab.uplift.verdict_text.verdict_sentence`, so both languages say the same numbers
("Qini coefficient" itself is the tables' label). Also the model report's method notes
(:data:`uplift_lab.report.model_report.METHOD_NOTES`), which explain the verdicts."""

from __future__ import annotations

VERDICTS_ZH = {
    "{word}: {reason}": "{word}：{reason}",
    "{sentence}.": "{sentence}。",
    "{sentence}. {then}": "{sentence}。{then}",
    "{qini} (95% CI {low:.3f} to {high:.3f}, {where})": (
        "{qini}（95% 置信区间 {low:.3f} 至 {high:.3f}，{where}）"
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


# the model report's method notes (model_report.METHOD_NOTES)
METHOD_NOTES_ZH = {
    "Every number is computed on held-out customers only: customers the model did not see in "
    "training (cross-validation folds), or a later randomized campaign.": (
        "每个数字都只在留出客户上计算：即模型训练时没见过的客户（交叉验证的各折），"
        "或之后的一次随机化活动。"
    ),
    "Qini coefficient: area between the model's Qini curve and the random-targeting line, "
    "divided by that of the perfect ranking (scikit-uplift's qini_auc_score); 0 = no better "
    "than random. AUUC: the same for the uplift curve (scikit-uplift's uplift_auc_score).": (
        "Qini 系数：模型的 Qini 曲线与随机触达直线之间的面积，"
        "除以完美排序的对应面积（scikit-uplift 的 qini_auc_score）；"
        "0 = 不比随机好。AUUC：增益曲线的同一指标（scikit-uplift 的 uplift_auc_score）。"
    ),
    "uplift@k: treated mean - control mean among the top k share by score. Incremental per "
    "1,000: treated outcome - control outcome x n_treated / n_control among the top k, per "
    "1,000 customers of the held-out set, next to what random targeting of as many captures.": (
        "增益@k：按评分排在前 k 比例的客户中，发送组均值 - 对照组均值。"
        "每千人增量：前 k 中发送组结果 - 对照组结果 x n_treated / n_control，"
        "按留出集每 1,000 位客户计，旁边是随机触达同样多客户所获得的值。"
    ),
    "Two kinds of interval. Main columns and verdicts: the value on all held-out customers "
    "pooled, with a 95% customer-level bootstrap interval (customers resampled within each "
    "arm; all scores on the same replicates, so differences are paired). It answers: does "
    "this model's held-out ranking beat random targeting on these customers? 'Qini over "
    "folds': mean over the folds or random parts named above with a 95% t interval "
    "(cross-validation folds share training data, so it is widened with the Nadeau-Bengio "
    "correction). It answers a harder question, whether the learning algorithm would "
    "generalize to new training data, and is much wider.": (
        "两种区间。主要列与结论：合并全部留出客户得到的值，"
        "附 95% 客户级自助法区间（在每组内重抽样客户；"
        "所有评分使用相同的重抽样，因此差值是配对的）。它回答：这个模型在留出数据上的排序，"
        "在这些客户上是否优于随机触达？“各折 Qini”：上面所列各折或随机部分的均值，"
        "附 95% t 区间（交叉验证的各折共享训练数据，因此用 Nadeau-Bengio 校正加宽）。"
        "它回答一个更难的问题：这种学习算法换一份训练数据是否仍然有效，"
        "因此宽得多。"
    ),
    "Verdicts: 'useful' = a one-sided test of 'better than random' rejects at 5% (the Qini "
    "coefficient over its bootstrap standard error above 1.645) and the top bin's observed uplift "
    "beats the bottom bin's; 'inconclusive' = the Qini coefficient is above 0 but that test does "
    "not reject, or the top bin does not beat the bottom one (a larger holdout would tell); 'not "
    "useful' = the Qini coefficient is not above 0 (or undefined), or the top and bottom bins "
    "cannot be compared.": (
        "结论：“有用” = “优于随机”的单侧检验在 5% 水平拒绝（Qini 系数除以其自助法标准误大于 "
        "1.645），且最高分箱的实测提升优于最低分箱；“尚无定论” = Qini 系数高于 0，但该检验未拒绝，"
        "或最高分箱不优于最低分箱（更大的观察组才能判断）；“无用” = Qini 系数不高于 0（或无定义），"
        "或最高与最低分箱无法比较。"
    ),
    "Baselines: random targeting; the RFM rule (highest RFM score first, what teams do "
    "today); purchase probability (highest chance to buy first). A model is worth using only "
    "where it beats them.": (
        "基线：随机触达；RFM 规则（RFM 得分最高者优先，即团队现在的做法）；"
        "购买概率（购买可能性最高者优先）。模型只有在优于它们时才值得使用。"
    ),
    "Calibration: customers split into 10 equal bins by predicted uplift; observed uplift = "
    "treated mean - control mean in the bin, with a Welch 95% interval. A model whose top bin "
    "does not beat its bottom bin is reported as not useful.": (
        "校准：按预测增益把客户等分为 10 个分箱；实际增益 = 分箱内发送组均值 - 对照组均值，"
        "附 Welch 95% 区间。最高分箱不优于最低分箱的模型被报告为无用。"
    ),
}
