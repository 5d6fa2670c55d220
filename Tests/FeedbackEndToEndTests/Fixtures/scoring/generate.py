#!/usr/bin/env python3
"""Writes responses.jsonl and expected.json for ScoreEndToEndTests.

responses.jsonl holds enterprise-service responses for 2025-03 and 2025-04; expected.json holds
every figure `feedback score --month 2025-04 --form enterprise-service --format json` must print
for them. The figures are computed here from the responses themselves, straight from the
formulas of SCORING.md (Wilson, t intervals, Welch, pooled z, empirical Bayes, Pearson), so the
test compares the Swift code against a second, independent implementation.

Run from anywhere: python3 generate.py. Standard library only; the output is deterministic.
"""

import json
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
Z = 1.96
MONTH, PREVIOUS = "2025-04", "2025-03"
SUPPRESS_BELOW, RANK_FROM, CAUTION_BELOW, GOOD_FROM = 10, 30, 100, 3
DIMENSIONS = [("attitude", "办事态度"), ("efficiency", "办事效率"), ("convenience", "便利程度"), ("policy", "政策落实")]
PAIN_POINTS = [  # id, label, comment keywords (from forms/enterprise-service.json)
    ("obstruction", "中梗阻", ["中梗阻", "卡着不办", "层层审批", "上面同意", "下面不办", "卡脖子"]),
    ("slow-action", "慢作为", ["慢作为", "太慢", "等了", "拖了", "拖延", "超时", "不催不办", "迟迟", "排队时间太长"]),
    ("buck-passing", "推诿扯皮", ["推诿", "扯皮", "踢皮球", "互相推", "不归我们管"]),
    ("multiple-trips", "多头跑", ["多头跑", "来回跑", "跑了好几趟", "又跑了一趟", "跑腿", "多次往返"]),
    ("paperwork", "材料繁琐", ["材料繁琐", "材料太多", "重复提交", "证明太多", "材料要求不清楚", "清单"]),
    ("attitude", "态度差", ["态度差", "态度不好", "脸难看", "不耐烦", "爱答不理", "门难进"]),
    ("rent-seeking", "吃拿卡要", ["吃拿卡要", "好处费", "红包", "收费不合理", "索要"]),
]
# Department id, name as written in the data (names and aliases both map), official name.
DEPARTMENTS = {
    "taxation": ("税务局", "税务局"),
    "market-regulation": ("市监局", "市场监督管理局"),
    "human-resources": ("人社局", "人力资源和社会保障局"),
    "administrative-approval": ("行政审批局", "行政审批局"),
    "natural-resources": ("自然资源局", "自然资源局"),
    "housing-construction": ("住建局", "住房和城乡建设局"),
    "transport": ("交通运输局", "交通运输局"),
    "civil-affairs": ("民政局", "民政局"),
}
# Answers to the overall item (levels 1..5) per department and month. April sizes sit on the
# publication thresholds: 100 (ranked, not low confidence), 64/45/38/31 (ranked, low
# confidence), 29 and 10 (shown, not ranked), 9 (suppressed). Taxation's change is
# significant, market regulation's is not, natural resources' would be but March has n < 30.
PLAN = {
    "taxation": {PREVIOUS: [5, 9, 22, 33, 21], MONTH: [2, 8, 15, 40, 35]},
    "market-regulation": {PREVIOUS: [4, 7, 16, 19, 12], MONTH: [1, 5, 15, 24, 18]},
    "human-resources": {PREVIOUS: [3, 6, 13, 12, 6], MONTH: [2, 6, 13, 15, 9]},
    "administrative-approval": {PREVIOUS: [2, 5, 10, 10, 6], MONTH: [1, 4, 10, 15, 8]},
    "natural-resources": {PREVIOUS: [3, 4, 3, 2, 0], MONTH: [2, 0, 5, 12, 12]},
    "housing-construction": {PREVIOUS: [4, 8, 12, 8, 3], MONTH: [3, 7, 9, 7, 3]},
    "transport": {MONTH: [1, 2, 3, 3, 1]},
    "civil-affairs": {PREVIOUS: [1, 1, 1, 1, 1], MONTH: [2, 2, 2, 2, 1]},
}
# Extra April responses whose overall answer is 不适用: they count in n but in no overall figure.
OVERALL_NOT_APPLICABLE = {"market-regulation": 1}
# Times on the month boundaries, as (department, month the response must fall in, time). The
# UTC ones are moved to +08:00 before the month is taken; each would cross a threshold if the
# month were taken in UTC.
BOUNDARY_TIMES = [
    ("taxation", MONTH, "2025-04-01T00:10:00+08:00"),  # UTC: March, taxation 99 → low confidence
    ("housing-construction", "2025-05", "2025-05-01T00:30:00+08:00"),  # UTC: April, 30 → ranked
    ("civil-affairs", "2025-05", "2025-04-30T17:00:00Z"),  # local May 1st; UTC: April, 10 → shown
    ("transport", MONTH, "2025-03-31T16:30:00Z"),  # local April 1st; UTC: March, 9 → suppressed
    ("market-regulation", PREVIOUS, "2025-03-31T23:50:00+08:00"),
]
COMMENTS = [
    "窗口服务很好，为你们点赞。", "材料太多，重复提交了三次。", "等了两个星期才办好，太慢了。",
    "部门之间踢皮球，来回跑了好几次。", "工作人员态度不好，爱答不理。", "上面同意了，下面不办，中梗阻。",
    "流程清楚，一次办结。", "希望公布材料清单。", "有人暗示要好处费。", "没什么意见",
]


# ---------------------------------------------------------------- the data set

def clamp(value, low, high):
    return max(low, min(high, value))


def make_responses():
    """One dict per response; the department's answers derive from its overall answer."""
    rng = random.Random(20250401)
    records = []
    serial = 0
    for dept, months in PLAN.items():
        for month, counts in months.items():
            levels = [level for level, count in zip(range(1, 6), counts) for _ in range(count)]
            levels += [None] * (OVERALL_NOT_APPLICABLE.get(dept, 0) if month == MONTH else 0)
            rng.shuffle(levels)
            for i, overall in enumerate(levels):
                day = 1 + (i * 7) % 28
                stamp = "%s-%02dT%02d:%02d:00+08:00" % (month, day, 8 + i % 10, (i * 13) % 60)
                records.append((dept, stamp, overall))
    # The boundary responses; those in April or March replace an ordinary one of the same
    # department so the planned sizes stand.
    for dept, month, stamp in BOUNDARY_TIMES:
        if month in (MONTH, PREVIOUS):
            index = next(i for i, r in enumerate(records) if r[0] == dept and r[1].startswith(month) and r[2] is not None)
            records[index] = (dept, stamp, records[index][2])
        else:
            records.append((dept, stamp, 1))

    out = []
    for dept, stamp, overall in records:
        serial += 1
        r = {"response_id": "ES%04d" % serial, "submitted_at": stamp, "department": DEPARTMENTS[dept][0]}
        # Overall answers are written as numbers, labels and "N分" alike.
        if overall is None:
            r["overall"] = "不适用"
        else:
            form = rng.random()
            r["overall"] = overall if form < 0.8 else ("%d分" % overall if form < 0.9 else
                                                       ["非常不满意", "不满意", "基本满意", "满意", "非常满意"][overall - 1])
        base = overall if overall is not None else 3
        # attitude: close to overall and high; efficiency: close and low; convenience: half
        # noise and high; policy: mostly noise and low. The four land in four IPA quadrants.
        values = {
            "attitude": clamp(base + rng.choice([0, 0, 0, 1, 1, -1]), 1, 5),
            "efficiency": clamp(base + rng.choice([0, 0, -1, -1, 1]), 1, 5),
            "convenience": clamp(base if rng.random() < 0.4 else rng.choice([3, 4, 4, 5, 5]), 1, 5),
            "policy": clamp(base - 1 if rng.random() < 0.08 else rng.choice([1, 2, 3, 3, 4, 5]), 1, 5),
        }
        for dim, value in values.items():
            u = rng.random()
            if u < {"attitude": 0.02, "efficiency": 0.03, "convenience": 0.08, "policy": 0.12}[dim]:
                r[dim] = rng.choice(["不适用", "未涉及"])
            elif u < 0.16:
                pass  # missing: no key at all
            elif u < 0.18:
                r[dim] = rng.choice([None, "", "(跳过)"])
            else:
                r[dim] = value
        if rng.random() < 0.9:
            r["recommend"] = clamp(2 * base + rng.choice([-2, -1, 0, 0, 1]), 0, 10)
        if rng.random() < 0.9:
            ticked = [p for p, _, _ in PAIN_POINTS if rng.random() < (0.35 if base <= 2 else 0.12)]
            r["pain_points"] = ticked or ["none"]
        if rng.random() < 0.95:
            r["trips"] = rng.choice([0, 1, 1, 1, 2, 2, 3, 4])
        promised = rng.choice([5, 7, 10, 15])
        if rng.random() < 0.92:
            r["days_promised"] = promised
        if rng.random() < 0.92:
            r["days_taken"] = clamp(promised + rng.choice([-3, -2, -1, 0, 0, 1, 3]), 0, 30)
        u = rng.random()
        if u < 0.35:
            r["comment"] = rng.choice(COMMENTS)
        elif u < 0.40:
            r["comment"] = rng.choice(["", "(空)"])
        if rng.random() < 0.2:
            r["phone"] = "0571-%08d" % rng.randrange(10 ** 8)
        out.append(r)
    return out


def local_month(stamp):
    """The month of the local +08:00 time (UTC times are moved there first)."""
    if stamp.endswith("Z"):
        y, mo, d, h = int(stamp[0:4]), int(stamp[5:7]), int(stamp[8:10]), int(stamp[11:13])
        if h + 8 >= 24:
            days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]
            if d == days:
                mo, y = (mo + 1, y) if mo < 12 else (1, y + 1)
        return "%04d-%02d" % (y, mo)
    return stamp[:7]


# ---------------------------------------------------------------- distributions

def log_beta(a, b):
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def incomplete_beta(a, b, x):
    """Regularized I_x(a, b): its continued fraction, evaluated by modified Lentz."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    if x > (a + 1) / (a + b + 2):
        return 1 - incomplete_beta(b, a, 1 - x)
    front = math.exp(a * math.log(x) + b * math.log1p(-x) - log_beta(a, b)) / a
    tiny = 1e-300
    f, c, d = 1.0, 1.0, 0.0
    for i in range(0, 10000):
        m = i // 2
        if i == 0:
            term = 1.0
        elif i % 2 == 0:
            term = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        else:
            term = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1 + term * d
        d = tiny if abs(d) < tiny else d
        c = 1 + term / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        f *= c * d
        if abs(1 - c * d) < 1e-15:
            break
    return front * (f - 1)


def t_two_sided_p(t, df):
    return incomplete_beta(df / 2, 0.5, df / (df + t * t))


def t_quantile_975(df):
    """t with P(T ≤ t) = 0.975, by bisection on the CDF."""
    low, high = 0.0, 1000.0
    for _ in range(200):
        mid = (low + high) / 2
        if t_two_sided_p(mid, df) / 2 > 0.025:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def normal_two_sided_p(z):
    return math.erfc(abs(z) / math.sqrt(2))


# ---------------------------------------------------------------- figures

def mean_sd(values):
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return mean, sd


def wilson(k, n):
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return (0.0 if k == 0 else centre - half), (1.0 if k == n else centre + half)


def index_of(mean, low=1, high=5):
    return (mean - low) / (high - low) * 100


def index_estimate(values):
    """mean, sd, 0–100 index and its t interval (rescaled, kept within 0..100)."""
    if not values:
        return None
    mean, sd = mean_sd(values)
    ci = None
    if sd is not None:
        half = t_quantile_975(len(values) - 1) * sd / math.sqrt(len(values))
        ci = [clamp(index_of(mean - half), 0, 100), clamp(index_of(mean + half), 0, 100)]
    return {"n": len(values), "mean": mean, "sd": sd, "index": index_of(mean), "ci": ci}


def rate(k, n):
    if n == 0:
        return None
    low, high = wilson(k, n)
    return {"k": k, "n": n, "pct": 100 * k / n, "ci": [100 * low, 100 * high]}


def welch_p(a, b):
    (ma, sa), (mb, sb) = mean_sd(a), mean_sd(b)
    va, vb = sa * sa / len(a), sb * sb / len(b)
    t = (ma - mb) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va * va / (len(a) - 1) + vb * vb / (len(b) - 1))
    return t_two_sided_p(t, df)


def pooled_z_p(k1, n1, k2, n2):
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return None if se == 0 else normal_two_sided_p((k1 / n1 - k2 / n2) / se)


def pearson(pairs):
    n = len(pairs)
    mx = sum(x for x, _ in pairs) / n
    my = sum(y for _, y in pairs) / n
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    sxx = sum((x - mx) ** 2 for x, _ in pairs)
    syy = sum((y - my) ** 2 for _, y in pairs)
    r = sxy / math.sqrt(sxx * syy)
    p = t_two_sided_p(r * math.sqrt((n - 2) / (1 - r * r)), n - 2)
    return r, p


def empirical_bayes(groups):
    """groups: (n, mean, sd) per department with overall answers. SCORING.md §2 and §4."""
    k = len(groups)
    total = sum(n for n, _, _ in groups)
    grand = sum(n * m for n, m, _ in groups) / total
    msw = sum((n - 1) * (s or 0) ** 2 for n, _, s in groups) / (total - k)
    msb = sum(n * (m - grand) ** 2 for n, m, _ in groups) / (k - 1)
    n0 = (total - sum(n * n for n, _, _ in groups) / total) / (k - 1)
    tau2 = max(0.0, (msb - msw) / n0)
    if k < 5 or tau2 <= 0:
        return grand, tau2, 30.0, "fallback"
    return grand, tau2, clamp(msw / tau2, 5, 200), "empirical-bayes"


def competition_ranks(scores):
    shown = [float("%.1f" % s) for s in scores]
    return [1 + sum(1 for t in shown if t > s) for s in shown]


def answers(responses, key):
    return [r[key] for r in responses if isinstance(r.get(key), int)]


def level_of(value):
    """The overall level of a raw answer (number, "N分" or label); None for 不适用."""
    if isinstance(value, int):
        return value
    if value.endswith("分"):
        return int(value[:-1])
    labels = ["非常不满意", "不满意", "基本满意", "满意", "非常满意"]
    return labels.index(value) + 1 if value in labels else None


def group_figures(responses):
    n = len(responses)
    overall = [level_of(r["overall"]) for r in responses]
    valid = [v for v in overall if v is not None]
    est = index_estimate(valid)
    rates = None
    if valid:
        count = lambda lo, hi: sum(1 for v in valid if lo <= v <= hi)
        rates = {"good": rate(count(GOOD_FROM, 5), len(valid)), "csat": rate(count(4, 5), len(valid)),
                 "topBox": rate(count(5, 5), len(valid)), "bad": rate(count(1, 2), len(valid))}
    rec = answers(responses, "recommend")
    nps = None
    if rec:
        pro = sum(1 for v in rec if v >= 9)
        det = sum(1 for v in rec if v <= 6)
        p, d = pro / len(rec), det / len(rec)
        score = 100 * (p - d)
        se = 100 * math.sqrt(max(0.0, p + d - (p - d) ** 2) / len(rec))
        nps = {"n": len(rec), "promoters": pro, "passives": len(rec) - pro - det, "detractors": det,
               "score": score, "se": se, "ci": [clamp(score - Z * se, -100, 100), clamp(score + Z * se, -100, 100)]}
    dims = []
    for dim, label in DIMENSIONS:
        values = answers(responses, dim)
        na = sum(1 for r in responses if r.get(dim) in ("不适用", "未涉及"))
        dims.append({"id": dim, "label": label, "validN": len(values), "notApplicable": na,
                     "est": index_estimate(values)})
    indices = [d["est"]["index"] for d in dims if d["est"]]
    asked = [r for r in responses if "pain_points" in r]
    pains = []
    comments = [r["comment"] for r in responses if r.get("comment") not in (None, "", "(空)")]
    for pid, label, keywords in PAIN_POINTS:
        ticked = sum(1 for r in asked if pid in r["pain_points"])
        mentions = sum(1 for c in comments if any(k in c for k in keywords))
        pains.append({"id": pid, "label": label, "asked": len(asked), "ticked": ticked,
                      "rate": rate(ticked, len(asked)), "mentions": mentions})
    timed = [r for r in responses if "days_taken" in r and "days_promised" in r]
    trips = answers(responses, "trips")
    return {
        "n": n, "overall": est, "valid": valid, "rates": rates, "nps": nps, "dims": dims,
        "composite": sum(indices) / len(indices) if indices else None, "pains": pains, "comments": len(comments),
        "onTime": rate(sum(1 for r in timed if r["days_taken"] <= r["days_promised"]), len(timed)),
        "oneTrip": rate(sum(1 for t in trips if t <= 1), len(trips)),
        "meanTrips": sum(trips) / len(trips) if trips else None,
    }


def change(before, after):
    """Change against the previous month: Welch on the overall item, pooled z on 好评率 and 差评率."""
    enough = before["n"] >= RANK_FROM and after["n"] >= RANK_FROM
    result = {"previousN": before["n"]}

    def figure(previous, current, p):
        significant = enough and p is not None and p < 0.05
        delta = current - previous
        return {"previous": previous, "current": current, "delta": delta, "p": p, "significant": significant,
                "arrow": ("up" if delta > 0 else "down" if delta < 0 else "none") if significant else None}

    a, b = before["valid"], after["valid"]
    result["index"] = figure(index_of(mean_sd(a)[0]), index_of(mean_sd(b)[0]), welch_p(b, a))
    for key in ("good", "bad"):
        x, y = before["rates"][key], after["rates"][key]
        result[key] = figure(x["pct"], y["pct"], pooled_z_p(y["k"], y["n"], x["k"], x["n"]))
    return result


# ---------------------------------------------------------------- JSON with fixed decimals

class Num:
    """A number printed with a fixed count of decimals, as the JSON contract prints it."""

    def __init__(self, value, digits):
        self.text = "%.*f" % (digits, value)


def num(value, digits=2):
    return None if value is None else Num(value, digits)


def pair(values, digits=2):
    return None if values is None else [Num(values[0], digits), Num(values[1], digits)]


def dump(value, indent=0):
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, Num):
        return value.text
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [inner + json.dumps(k, ensure_ascii=False) + ": " + dump(v, indent + 1) for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(isinstance(v, (Num, type(None))) for v in value):
            return "[" + ", ".join(dump(v) for v in value) + "]"
        return "[\n" + ",\n".join(inner + dump(v, indent + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def rate_json(r):
    return None if r is None else {"k": r["k"], "n": r["n"], "pct": num(r["pct"]), "ci": pair(r["ci"])}


def change_json(c):
    def figure(f):
        return {"previous": num(f["previous"]), "current": num(f["current"]), "delta": num(f["delta"]),
                "p": num(f["p"], 4), "significant": f["significant"], "arrow": f["arrow"]}
    return None if c is None else {"previousN": c["previousN"], "index": figure(c["index"]),
                                   "good": figure(c["good"]), "bad": figure(c["bad"])}


def group_json(dept_id, name, g, publication, rank, ranking_index, chg):
    out = {"id": dept_id, "name": name, "n": g["n"], "publication": publication,
           "lowConfidence": g["n"] < CAUTION_BELOW}
    if publication == "suppressed":
        return out
    o = g["overall"]
    out["rank"] = rank
    out["rankingIndex"] = num(ranking_index)
    out["overall"] = {"validN": o["n"], "mean": num(o["mean"], 4), "sd": num(o["sd"], 4), "index": num(o["index"]),
                      "ci": pair(o["ci"])}
    out["rates"] = {k: rate_json(v) for k, v in g["rates"].items()}
    nps = g["nps"]
    out["nps"] = {"n": nps["n"], "promoters": nps["promoters"], "passives": nps["passives"],
                  "detractors": nps["detractors"], "score": num(nps["score"]), "se": num(nps["se"]),
                  "ci": pair(nps["ci"])}
    out["dimensions"] = [
        {"id": d["id"], "label": d["label"], "weight": num(1, 4), "validN": d["validN"], "notApplicable": d["notApplicable"],
         "mean": num(d["est"] and d["est"]["mean"], 4), "index": num(d["est"] and d["est"]["index"]),
         "ci": pair(d["est"] and d["est"]["ci"])} for d in g["dims"]]
    out["composite"] = num(g["composite"])
    out["painPoints"] = [
        {"id": p["id"], "label": p["label"], "asked": p["asked"], "ticked": p["ticked"],
         "pct": num(p["rate"] and p["rate"]["pct"]), "ci": pair(p["rate"] and p["rate"]["ci"]),
         "commentMentions": p["mentions"]} for p in g["pains"]]
    out["comments"] = g["comments"]
    out["efficiency"] = {"onTime": rate_json(g["onTime"]), "atMostOneTrip": rate_json(g["oneTrip"]),
                         "meanTrips": num(g["meanTrips"], 4)}
    out["change"] = change_json(chg)
    return out


# ---------------------------------------------------------------- checks of the maths

def check_against_reference_values():
    """Worked examples of SCORING.md's vectors, so a slip in the maths above shows here."""
    close = lambda a, b, tol=1e-6: abs(a - b) <= tol
    assert close(t_quantile_975(6), 2.446912)
    assert close(welch_p([4, 5, 3, 4, 5, 2, 4], [3, 3, 4, 2, 3, 3, 2, 4]), 0.105425)
    assert close(pooled_z_p(45, 50, 30, 50), 0.000532) and close(pooled_z_p(80, 100, 70, 100), 0.10247)
    assert all(close(a, b) for a, b in zip(wilson(6, 40), (0.070611, 0.290726)))
    assert close(wilson(0, 40)[1], 0.087625)
    r, p = pearson(list(zip([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])))
    assert close(r, 0.774597) and close(p, 0.124027)
    est = index_estimate([4, 5, 3, 4, 5, 2, 4])
    assert close(est["ci"][0], 46.711029) and close(est["ci"][1], 96.146114)
    assert competition_ranks([82.5, 90.0, 82.5, 75.0, 90.0]) == [3, 1, 3, 5, 1]
    # empirical_bayes_moments: MSB, n0, τ² and C from the group sizes and means given there.
    n = {"A": 8, "B": 6, "C": 10, "D": 2, "E": 5}
    m = {"A": 4.375, "B": 3.166667, "C": 4.0, "D": 5.0, "E": 2.8}
    total = sum(n.values())
    grand = sum(n[g] * m[g] for g in n) / total
    msb = sum(n[g] * (m[g] - grand) ** 2 for g in n) / 4
    n0 = (total - sum(v * v for v in n.values()) / total) / 4
    assert close(grand, 3.806452) and close(msb, 3.332594, 1e-5) and close(n0, 5.903226)
    assert close((msb - 0.519551) / n0, 0.476526, 1e-5)
    vectors = find_vectors()
    if vectors:
        for case in vectors["two_proportion_ztest"]:
            assert close(pooled_z_p(case["k1"], case["n1"], case["k2"], case["n2"]), case["p_two_sided"])
        for case in vectors["welch_t_mean_change"]:
            assert close(welch_p(case["month_cur"], case["month_prev"]), case["p_two_sided"])


def find_vectors():
    """scoring-vectors.json from FEEDBACK_SHARED_DIR or a shared/ folder above the checkout, if any."""
    places = [os.environ.get("FEEDBACK_SHARED_DIR", "")]
    folder = HERE
    while os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
        places.append(os.path.join(folder, "shared"))
    for place in places:
        path = os.path.join(place, "scoring-vectors.json")
        if place and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return json.load(f)
    return None


# ---------------------------------------------------------------- main

def main():
    check_against_reference_values()
    responses = make_responses()
    by = {}
    for r in responses:
        dept = next(d for d, (written, _) in DEPARTMENTS.items() if written == r["department"])
        by.setdefault((dept, local_month(r["submitted_at"])), []).append(r)
    current = {d: group_figures(by[(d, MONTH)]) for d in DEPARTMENTS if (d, MONTH) in by}
    previous = {d: group_figures(by[(d, PREVIOUS)]) for d in DEPARTMENTS if (d, PREVIOUS) in by}

    # Ranking: every department with overall answers feeds the prior; ranked ones get ranks.
    groups = [(g["overall"]["n"], g["overall"]["mean"], g["overall"]["sd"]) for g in current.values() if g["overall"]]
    grand, tau2, weight, source = empirical_bayes(groups)
    publication = {d: "suppressed" if g["n"] < SUPPRESS_BELOW else "unranked" if g["n"] < RANK_FROM else "ranked"
                   for d, g in current.items()}
    shrunk = {}
    for d, g in current.items():
        if publication[d] == "ranked":
            o = g["overall"]
            shrunk[d] = index_of((weight * grand + o["n"] * o["mean"]) / (weight + o["n"]))
    ranked = sorted(shrunk)
    rank = dict(zip(ranked, competition_ranks([shrunk[d] for d in ranked])))
    changes = {d: change(previous[d], current[d]) for d in current if d in previous}

    # What the data set is meant to show; a change to PLAN that breaks it fails here.
    assert [current[d]["n"] for d in DEPARTMENTS] == [100, 64, 45, 38, 31, 29, 10, 9]
    assert source == "empirical-bayes" and 5 < weight < 200
    assert changes["taxation"]["index"]["significant"] and changes["taxation"]["index"]["p"] < 0.05
    assert not changes["market-regulation"]["index"]["significant"]
    assert 0.05 < changes["market-regulation"]["index"]["p"] < 0.2
    assert changes["natural-resources"]["index"]["p"] < 0.05 and not changes["natural-resources"]["index"]["significant"]
    # Taxation and natural resources differ, but not at the one decimal ranks are taken at.
    assert rank["taxation"] == rank["natural-resources"] and shrunk["taxation"] != shrunk["natural-resources"]
    for c in changes.values():  # no p so close to 0.05 that the last bit decides significance
        assert all(c[k]["p"] is None or abs(c[k]["p"] - 0.05) > 1e-4 for k in ("index", "good", "bad"))

    order = {"ranked": 0, "unranked": 1, "suppressed": 2}
    listed = sorted(current, key=lambda d: (order[publication[d]], rank.get(d, 0), -current[d]["n"], d))
    departments = [group_json(d, DEPARTMENTS[d][1], current[d], publication[d], rank.get(d), shrunk.get(d), changes.get(d))
                   for d in listed]

    everyone = [r for d in DEPARTMENTS for r in by.get((d, MONTH), [])]
    before = [r for d in DEPARTMENTS for r in by.get((d, PREVIOUS), [])]
    district_figures = group_figures(everyone)
    district = group_json(None, "全区", district_figures, "unranked", None, None,
                          change(group_figures(before), district_figures))

    # Key drivers: each dimension against overall over the district's April answers, pairwise.
    drivers, placed = [], []
    for (dim, label), d in zip(DIMENSIONS, district_figures["dims"]):
        pairs = [(r[dim], level_of(r["overall"])) for r in everyone
                 if isinstance(r.get(dim), int) and level_of(r["overall"]) is not None]
        r, p = pearson(pairs)
        placed.append((r, d["est"]["index"]))
        drivers.append({"id": dim, "label": label, "n": len(pairs), "r": num(r, 4), "p": num(p, 4),
                        "performance": num(d["est"]["index"])})
    cut_r = sum(r for r, _ in placed) / len(placed)
    cut_perf = sum(q for _, q in placed) / len(placed)
    quadrants = {(True, False): "concentrate", (True, True): "keep-up", (False, False): "low-priority",
                 (False, True): "overkill"}
    for driver, (r, perf) in zip(drivers, placed):
        driver["quadrant"] = quadrants[(r >= cut_r, perf >= cut_perf)]
    assert sorted(d["quadrant"] for d in drivers) == ["concentrate", "keep-up", "low-priority", "overkill"]

    expected = {
        "month": MONTH, "previousMonth": PREVIOUS,
        "settings": {"suppressBelow": SUPPRESS_BELOW, "rankFrom": RANK_FROM, "cautionBelow": CAUTION_BELOW,
                     "goodFrom": GOOD_FROM, "z": num(Z)},
        "forms": [{
            "form": "enterprise-service", "version": 1, "title": "企业办事满意度调查",
            "ranking": {"priorWeight": num(weight, 4), "priorWeightSource": source, "grandMean": num(grand, 4),
                        "tau2": num(tau2, 6)},
            "district": district, "departments": departments, "drivers": drivers,
        }],
    }
    with open(os.path.join(HERE, "responses.jsonl"), "w", encoding="utf-8") as f:
        for r in responses:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        f.write(dump(expected) + "\n")


if __name__ == "__main__":
    main()
