#!/usr/bin/env python3
"""Generate the sample exports in samples/.

Run from anywhere:  python3 samples/generate.py

It writes, next to itself:

  enterprise-service-2025.csv
      A 问卷星 (wjx.cn) "按文本" (answers as text) export of the form
      forms/enterprise-service.json: UTF-8 with BOM, CRLF line endings, RFC 4180
      quoting.  Columns 序号, 提交答卷时间, 所用时间, 来源, 来自IP, then one column per
      question headed the 问卷星 way ("1、您办理业务的部门", "2、您办理的事项", ...).
      About 2,400 responses submitted 2025-02-01 .. 2025-05-31, local time (+08:00).

  window-evaluation-2025.jsonl
      好差评 evaluations from the service-window pads for the form
      forms/window-evaluation.json: one JSON object per line, UTF-8 without BOM,
      "\\n" line endings.  About 3,000 lines over the same four months.

The output is deterministic: one random.Random(SEED) drives everything, and the
same run writes byte-identical files.  Question labels, choice labels, rating
levels and department names/aliases are read from forms/*.json and
departments.json, so the samples follow the example workspace.

Why the data look the way they do
---------------------------------
* Times follow the 2025 office calendar: most answers on working days in office
  hours (9:00-12:00, 13:30-17:30), fewer in the evening or at weekends; the
  Spring Festival, Qingming, Labour Day and Dragon Boat holidays are quiet and
  the make-up working days (2025-02-08, 2025-04-27) are ordinary days.  Two
  survey answers sit on month boundaries in local time: 2025/3/31 23:50:27 and
  2025/5/1 0:30:08 (the second is still April in UTC).  The 好差评 file has the
  same kind of pair: 2025-03-31T23:58:41+08:00 and 2025-05-01T00:07:19+08:00.
* Department volumes differ widely, across the thresholds of feedback.json
  (suppressBelow 10, rankFrom 30, cautionBelow 100, counted per month).  In
  the survey, per month: 市场监督管理局 100-130 (470 in all); 税务局,
  行政审批局, 人力资源和社会保障局, 不动产登记中心 and 住房公积金管理中心
  35-65 (160-250 in all); 自然资源局 and 住房和城乡建设局 31-38, just
  above rankFrom; 公安分局, 医疗保障局, 交通运输局 and 城市管理和综合执法局
  15-23; eight departments 10-13; 司法局 and 水务局 fewer than 10.  The pads
  see more citizens: 公安分局, 人社局 and 不动产登记中心 lead there.  All 22
  departments appear in both files, every month.
* Departments differ in quality.  Clearly better: 税务局, 行政审批局,
  医疗保障局, with 公安分局 above average too.  Clearly worse:
  住房和城乡建设局, 自然资源局, 城市管理和综合执法局, 生态环境分局;
  发展和改革委员会 somewhat below average (its small monthly samples are
  noisy, as small samples are).  不动产登记中心 gets noticeably worse in
  April (and only partly recovers in May); 人力资源和社会保障局 improves in May.
  The 好差评 pads are more lenient than the survey but keep the same order.
* Each answer comes from a latent satisfaction: the overall rating is its
  rounding onto five levels, and the four dimensions are correlated with it,
  efficiency (办事效率) most strongly and policy (政策落实) least.  差评
  (不满意/非常不满意) is about 11% in the survey and under 4% on the pads.
  Pain points are ticked mostly by dissatisfied respondents, in proportions that
  fit each department (中梗阻 at 自然资源局, 态度差 at 城管局, ...), and
  comments are built from fragments consistent with the ticked pain points.
* 问卷星 conventions: times as "2025/4/3 9:05:31" (no zero padding on month,
  day or hour; no offset); 所用时间 as "136秒"; ratings as level labels, for about 10% of respondents
  as "5分".."1分"; dimensions occasionally "不适用"; about 20% skip the 0-10
  recommend item ("(跳过)"); multiple choices joined by "┋"; the 其他 choice
  with its text as 其他〖...〗; empty comments as "(空)"; about 10% of
  departments and some channels written as an alias.  A few comments carry
  ASCII commas, double quotes and line breaks, to exercise CSV quoting.
* 好差评 conventions: evaluation_id "HCP" + date + a 4-digit number within the
  day; evaluated_at in ISO 8601 with +08:00; channel as the zh label or, for
  about 20%, the choice value; bad_reasons (choice values) non-empty exactly
  for ratings 1-2, otherwise [] or absent; comments mostly "" for good ratings.
* IP addresses come only from reserved ranges (100.64.0.0/10 shared address
  space, 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24).  Phone numbers are
  random digits; there are no names and no ID numbers.

Invalid records, on purpose (an import must reject exactly these)
-----------------------------------------------------------------
enterprise-service-2025.csv, one defect each (序号 and line numbers are
printed by this script):
  1. 总体满意度 "7分" (outside the 5-level scale);
  2. 您办理业务的部门 "外星事务局" (no department or alias of that name);
  3. 总体满意度 "(跳过)" (the item is required);
  4. 办成这件事共跑了几次 "三次" (not an integer);
  5. 实际办理用时（工作日） "-2" (below min 0);
  6. 提交答卷时间 "2025/13/45 25:61:00" (not a date).

window-evaluation-2025.jsonl:
  1. one line with "rating": 6;
  2. one line with "department": "";
  3. one truncated line ending in  "evaluated_at": "2025-04-
  4. one line with "bad_reasons": ["slow-acton"] (misspelt choice);
  5-7. three lines that repeat earlier lines exactly (same evaluation_id and
     content), as when two pad exports overlap.

Everything else is valid.  At the end the script reads both files back,
checks them independently of the generator, and prints rows per file, per
month and per department (count and share of 差评) and the invalid records.
"""

import csv
import datetime as dt
import io
import json
import math
import os
import random
from collections import Counter, defaultdict

SEED = 20250602
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CSV_NAME = "enterprise-service-2025.csv"
JSONL_NAME = "window-evaluation-2025.jsonl"
MONTHS = [2, 3, 4, 5]
YEAR = 2025

# ---------------------------------------------------------------------------
# The example workspace
# ---------------------------------------------------------------------------


def load_json(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return json.load(f)


ES_FORM = load_json("forms", "enterprise-service.json")
WE_FORM = load_json("forms", "window-evaluation.json")
DEPARTMENTS = load_json("departments.json")["departments"]
DEPT_NAME = {d["id"]: d["name"]["zh"] if isinstance(d["name"], dict) else d["name"] for d in DEPARTMENTS}
DEPT_ALIASES = {d["id"]: list(d.get("aliases", [])) for d in DEPARTMENTS}
DEPT_IDS = [d["id"] for d in DEPARTMENTS]


def zh(label):
    return label["zh"] if isinstance(label, dict) else label


def question(form, qid):
    for q in form["questions"]:
        if q["id"] == qid:
            return q
    raise KeyError(qid)


ES_QUESTIONS = ES_FORM["questions"]
ES_HEADERS = ["序号", "提交答卷时间", "所用时间", "来源", "来自IP"] + [
    "%d、%s" % (i + 1, zh(q["label"])) for i, q in enumerate(ES_QUESTIONS)
]
LEVELS = [zh(l) for l in question(ES_FORM, "overall")["levels"]]  # lowest first
ES_CHANNELS = {c["value"]: c for c in question(ES_FORM, "channel")["choices"]}
ES_PAIN_CHOICES = question(ES_FORM, "pain_points")["choices"]
ES_PAIN_LABEL = {c["value"]: zh(c["label"]) for c in ES_PAIN_CHOICES}
ES_PAIN_ORDER = [c["value"] for c in ES_PAIN_CHOICES]
WE_CHANNELS = {c["value"]: c for c in question(WE_FORM, "channel")["choices"]}
WE_REASON_VALUES = [c["value"] for c in question(WE_FORM, "bad_reasons")["choices"]]

PAINS = ["obstruction", "slow-action", "buck-passing", "multiple-trips", "paperwork", "attitude", "rent-seeking"]

# ---------------------------------------------------------------------------
# Departments: volumes, quality, typical pain points and service items
# ---------------------------------------------------------------------------
# survey / window: expected answers per month.  q: latent quality (0 = average).
# pains: multipliers on the default pain-point weights.
# items: (事项, promised working days, forms) with forms "E" survey, "W" pads, "B" both.

DEFAULT_PAIN_WEIGHTS = {
    "obstruction": 1.0, "slow-action": 3.0, "buck-passing": 1.5, "multiple-trips": 2.5,
    "paperwork": 2.5, "attitude": 1.5, "rent-seeking": 0.25,
}

PROFILE = {
    "market-regulation": dict(survey=118, window=75, q=0.15, pains={"paperwork": 1.3}, items=[
        ("营业执照办理", 1, "B"), ("企业设立登记", 1, "B"), ("企业变更登记", 1, "B"), ("企业注销登记", 3, "B"),
        ("个体工商户登记", 1, "B"), ("食品经营许可证办理", 5, "B"), ("特种设备使用登记", 5, "E"),
        ("工业产品生产许可证办理", 15, "E"), ("医疗器械经营备案", 5, "E"), ("药品零售企业许可", 15, "E"),
        ("股权出质登记", 3, "E"), ("营业执照遗失补领", 1, "W"), ("企业开办一件事", 1, "B")]),
    "taxation": dict(survey=64, window=70, q=0.6, pains={"paperwork": 1.5, "rent-seeking": 0.2}, items=[
        ("发票申领", 1, "B"), ("一般纳税人登记", 1, "E"), ("增值税留抵退税", 7, "E"), ("出口退税申报", 5, "E"),
        ("清税证明开具", 1, "B"), ("跨区域涉税事项报告", 1, "E"), ("纳税信用修复", 15, "E"),
        ("发票增版增量", 3, "E"), ("个人所得税汇算清缴", 1, "W"), ("完税证明开具", 1, "W"),
        ("二手房交易契税缴纳", 1, "W"), ("社保费缴纳", 1, "W")]),
    "administrative-approval": dict(survey=55, window=40, q=0.55, pains={"obstruction": 0.6}, items=[
        ("企业投资项目审批", 15, "E"), ("建设项目联合审批", 20, "E"), ("道路运输经营许可", 15, "B"),
        ("公共场所卫生许可", 7, "B"), ("排水许可", 7, "E"), ("城市建筑垃圾处置核准", 7, "E"),
        ("户外广告设置审批", 7, "B"), ("民办学校设立审批", 20, "E"), ("餐饮服务食品经营许可", 5, "B"),
        ("施工图联合审查", 15, "E")]),
    "human-resources": dict(survey=47, window=110, q=-0.3, pains={"paperwork": 2.0, "multiple-trips": 1.8}, items=[
        ("企业社保登记", 1, "B"), ("稳岗返还申领", 15, "E"), ("就业补贴申领", 20, "E"), ("工伤认定", 20, "B"),
        ("劳动合同备案", 3, "E"), ("职称评审材料受理", 20, "E"), ("人力资源服务许可", 15, "E"),
        ("招用人员就业登记", 1, "B"), ("社保卡补办", 1, "W"), ("失业保险金申领", 5, "W"),
        ("退休审批", 15, "W"), ("灵活就业人员参保登记", 1, "W"), ("社保缴费证明打印", 1, "W")]),
    "real-estate-registration": dict(survey=44, window=95, q=0.3, pains={}, items=[
        ("不动产权证书办理", 5, "B"), ("抵押登记", 3, "B"), ("预告登记", 3, "B"), ("不动产转移登记", 5, "B"),
        ("不动产首次登记", 15, "E"), ("抵押权注销登记", 1, "B"), ("不动产登记资料查询", 1, "B"),
        ("更正登记", 15, "E"), ("二手房交易登记", 5, "W"), ("查封登记", 1, "E")]),
    "housing-fund": dict(survey=41, window=85, q=0.25, pains={"paperwork": 1.5}, items=[
        ("单位公积金缴存登记", 1, "B"), ("公积金缴存基数调整", 1, "E"), ("住房公积金缓缴申请", 7, "E"),
        ("公积金提取", 1, "B"), ("公积金贷款申请", 15, "B"), ("公积金转移接续", 5, "B"),
        ("公积金贷款提前还款", 3, "W"), ("公积金缴存证明打印", 1, "W")]),
    "natural-resources": dict(survey=35, window=8, q=-0.6, pains={"obstruction": 4.0, "slow-action": 1.6, "buck-passing": 1.5}, items=[
        ("建设用地规划许可证核发", 15, "B"), ("建设工程规划许可证核发", 20, "B"), ("规划条件核实", 15, "E"),
        ("土地出让合同签订", 7, "E"), ("用地预审与选址意见书", 20, "E"), ("测绘成果审核", 7, "E"),
        ("规划方案审查", 20, "E"), ("临时用地审批", 15, "B")]),
    "housing-construction": dict(survey=33, window=12, q=-0.7, pains={"slow-action": 1.6, "paperwork": 1.8, "buck-passing": 2.0, "rent-seeking": 4.0}, items=[
        ("施工许可证核发", 7, "B"), ("建筑业企业资质审批", 20, "E"), ("商品房预售许可", 7, "E"),
        ("竣工验收备案", 5, "B"), ("消防设计审查", 15, "E"), ("安全生产许可证办理", 15, "E"),
        ("物业服务企业备案", 3, "E"), ("施工图审查备案", 7, "E"), ("商品房合同备案", 3, "W")]),
    "public-security": dict(survey=22, window=120, q=0.4, pains={"attitude": 1.3}, items=[
        ("印章刻制备案", 1, "B"), ("旅馆业特种行业许可证", 15, "E"), ("保安服务许可", 20, "E"),
        ("剧毒化学品购买许可", 3, "E"), ("外国人工作居留许可", 15, "E"), ("身份证补办", 7, "W"),
        ("居住证办理", 7, "W"), ("户口迁移", 5, "W"), ("出入境证件办理", 7, "W"), ("机动车登记", 1, "W"),
        ("无犯罪记录证明开具", 1, "W")]),
    "medical-security": dict(survey=19, window=80, q=0.5, pains={}, items=[
        ("单位医保登记", 1, "B"), ("医保定点机构申请", 20, "E"), ("医保关系转移", 15, "B"),
        ("异地就医备案", 1, "W"), ("医保报销", 15, "W"), ("门诊慢特病认定", 15, "W"),
        ("医保参保登记", 1, "W"), ("生育津贴申领", 7, "W")]),
    "transport": dict(survey=16, window=15, q=-0.1, pains={"multiple-trips": 1.5}, items=[
        ("道路运输经营许可证办理", 15, "B"), ("道路货物运输车辆年审", 1, "B"), ("网约车驾驶员证", 7, "W"),
        ("超限运输车辆通行许可", 5, "E"), ("公路占用挖掘许可", 15, "E"), ("出租汽车经营许可", 15, "E"),
        ("出租汽车驾驶员从业资格证", 7, "W")]),
    "urban-management": dict(survey=15, window=6, q=-0.55, pains={"attitude": 4.0, "buck-passing": 2.0}, items=[
        ("户外广告设置许可", 7, "B"), ("占道经营许可", 5, "B"), ("城市绿地占用审批", 15, "E"),
        ("建筑垃圾处置核准", 5, "E"), ("临时占用城市道路审批", 5, "B"), ("门头招牌设置审批", 5, "B"),
        ("渣土运输许可", 5, "E")]),
    "ecology-environment": dict(survey=13, window=4, q=-0.4, pains={"slow-action": 2.0, "rent-seeking": 3.0, "paperwork": 1.4}, items=[
        ("环评报告表审批", 15, "B"), ("排污许可证核发", 20, "B"), ("环评登记表备案", 1, "B"),
        ("危险废物转移审批", 7, "E"), ("辐射安全许可证办理", 20, "E"), ("排污许可变更", 15, "E")]),
    "commerce": dict(survey=12, window=3, q=0.3, pains={}, items=[
        ("对外贸易经营者备案", 1, "B"), ("单用途预付卡备案", 5, "B"), ("成品油零售经营资格审批", 20, "E"),
        ("外商投资企业信息报告", 1, "E"), ("二手车交易市场备案", 5, "E"), ("拍卖企业备案", 7, "E")]),
    "development-reform": dict(survey=12, window=2, q=-0.2, pains={"obstruction": 3.0}, items=[
        ("企业投资项目备案", 3, "B"), ("企业投资项目核准", 20, "E"), ("固定资产投资项目节能审查", 15, "E"),
        ("政府投资项目可研批复", 20, "E"), ("价格认定", 15, "B")]),
    "health": dict(survey=12, window=8, q=0.0, pains={"paperwork": 1.3}, items=[
        ("医疗机构执业登记", 20, "E"), ("公共场所卫生许可证", 7, "B"), ("放射诊疗许可", 20, "E"),
        ("医师执业注册", 15, "B"), ("职业健康检查机构备案", 5, "E"), ("出生医学证明补发", 7, "W"),
        ("母婴保健技术服务许可", 20, "E")]),
    "civil-affairs": dict(survey=12, window=20, q=0.2, pains={}, items=[
        ("社会组织成立登记", 20, "B"), ("养老机构备案", 5, "E"), ("民办非企业单位变更登记", 7, "E"),
        ("慈善组织认定", 20, "E"), ("婚姻登记", 1, "W"), ("最低生活保障申请", 20, "W"),
        ("养老服务补贴申请", 15, "W"), ("地名命名审批", 20, "E")]),
    "agriculture": dict(survey=12, window=4, q=0.2, pains={}, items=[
        ("农药经营许可", 15, "B"), ("兽药经营许可", 15, "E"), ("动物防疫条件合格证", 15, "E"),
        ("种子生产经营许可", 20, "E"), ("农机购置补贴申领", 20, "B"), ("水产苗种生产许可", 15, "E"),
        ("家庭农场名录登记", 5, "B")]),
    "education": dict(survey=12, window=5, q=0.1, pains={}, items=[
        ("民办培训机构办学许可", 20, "E"), ("民办幼儿园设立审批", 20, "E"), ("教师资格认定", 20, "W"),
        ("校外培训机构备案", 7, "E"), ("学籍证明开具", 1, "W")]),
    "emergency-management": dict(survey=12, window=3, q=0.0, pains={"paperwork": 1.5}, items=[
        ("危险化学品经营许可", 15, "B"), ("烟花爆竹零售许可", 7, "B"), ("安全评价报告备案", 5, "E"),
        ("生产安全事故应急预案备案", 3, "E"), ("特种作业操作证复审", 7, "W")]),
    "justice": dict(survey=6, window=6, q=0.3, pains={}, items=[
        ("公证办理", 15, "B"), ("法律援助申请", 7, "B"), ("人民调解申请", 15, "W"),
        ("司法鉴定机构登记", 20, "E"), ("律师事务所变更备案", 7, "E")]),
    "water": dict(survey=4, window=4, q=0.1, pains={}, items=[
        ("取水许可", 20, "E"), ("排水许可证核发", 15, "B"), ("河道管理范围内建设项目审批", 20, "E"),
        ("水土保持方案审批", 15, "E"), ("供水报装", 7, "B"), ("节水设施“三同时”审查", 15, "E")]),
}

assert sorted(PROFILE) == sorted(DEPT_IDS), "PROFILE must cover departments.json exactly"

# Departments that change over the four months.
QUALITY_BY_MONTH = {
    "real-estate-registration": {2: 0.3, 3: 0.3, 4: -0.65, 5: -0.25},  # system switch in April
    "human-resources": {2: -0.3, 3: -0.3, 4: -0.3, 5: 0.45},           # one-window reform in May
}
PAIN_BY_MONTH = {
    ("real-estate-registration", 4): {"slow-action": 3.0, "multiple-trips": 2.0},
    ("real-estate-registration", 5): {"slow-action": 2.0, "multiple-trips": 1.5},
}
MONTH_VOLUME = {2: 0.92, 3: 1.05, 4: 1.03, 5: 0.97}
WINDOW_LENIENCY = 0.4

# Departments named in buck-passing comments ("让我去找…").
RELATED = {
    "market-regulation": ["税务局", "行政审批局"], "taxation": ["市场监管局", "人社局"],
    "human-resources": ["医保局", "税务局"], "natural-resources": ["住建局", "发改委"],
    "housing-construction": ["自然资源局", "消防", "行政审批局"], "administrative-approval": ["住建局", "自然资源局"],
    "public-security": ["市场监管局", "街道"], "medical-security": ["人社局", "卫健委"],
    "real-estate-registration": ["税务局", "住建局"], "housing-fund": ["不动产中心", "银行"],
    "urban-management": ["街道", "住建局"], "ecology-environment": ["行政审批局", "发改委"],
    "development-reform": ["自然资源局", "行政审批局"], "transport": ["公安交警", "城管局"],
    "water": ["住建局", "自然资源局"], "commerce": ["市场监管局", "税务局"], "health": ["市场监管局", "医保局"],
    "civil-affairs": ["街道", "人社局"], "agriculture": ["市场监管局", "生态环境局"],
    "education": ["民政局", "市场监管局"], "emergency-management": ["市场监管局", "住建局"],
    "justice": ["公安局", "民政局"],
}


def quality(dept, month):
    return QUALITY_BY_MONTH.get(dept, {}).get(month, PROFILE[dept]["q"])


def pain_weights(dept, month):
    w = dict(DEFAULT_PAIN_WEIGHTS)
    for k, m in PROFILE[dept]["pains"].items():
        w[k] *= m
    for k, m in PAIN_BY_MONTH.get((dept, month), {}).items():
        w[k] *= m
    return w


# ---------------------------------------------------------------------------
# The 2025 office calendar
# ---------------------------------------------------------------------------

HOLIDAYS = set()
for a, b in [((2, 1), (2, 4)), ((4, 4), (4, 6)), ((5, 1), (5, 5)), ((5, 31), (5, 31))]:
    d = dt.date(YEAR, *a)
    while d <= dt.date(YEAR, *b):
        HOLIDAYS.add(d)
        d += dt.timedelta(days=1)
MAKEUP_WORKDAYS = {dt.date(YEAR, 2, 8), dt.date(YEAR, 4, 27)}


def is_workday(d):
    if d in MAKEUP_WORKDAYS:
        return True
    return d.weekday() < 5 and d not in HOLIDAYS


def days_of(month):
    d = dt.date(YEAR, month, 1)
    out = []
    while d.month == month:
        out.append(d)
        d += dt.timedelta(days=1)
    return out


WORKDAYS = {m: [d for d in days_of(m) if is_workday(d)] for m in MONTHS}
ALLDAYS = {m: days_of(m) for m in MONTHS}


def office_time(rng, day, start=(9, 0), end=(17, 30)):
    """A moment in office hours, with the lunch break quieter."""
    if rng.random() < 0.56:
        lo, hi = start[0] * 3600 + start[1] * 60, 12 * 3600
    else:
        lo, hi = 13 * 3600 + 30 * 60, end[0] * 3600 + end[1] * 60
    if rng.random() < 0.04:  # a few over lunch
        lo, hi = 12 * 3600, 13 * 3600 + 30 * 60
    s = rng.randrange(lo, hi)
    return dt.datetime(day.year, day.month, day.day) + dt.timedelta(seconds=s)


def off_hours_time(rng, month):
    """Evening, weekend or holiday answers (mostly online)."""
    day = rng.choice(ALLDAYS[month])
    if is_workday(day):
        s = rng.randrange(18 * 3600, 23 * 3600 + 30 * 60) if rng.random() < 0.8 else rng.randrange(7 * 3600, 8 * 3600 + 50 * 60)
    else:
        s = rng.randrange(8 * 3600, 22 * 3600 + 30 * 60)
    return dt.datetime(day.year, day.month, day.day) + dt.timedelta(seconds=s)


def monthly_counts(rng, key):
    out = {}
    for dept in DEPT_IDS:
        base = PROFILE[dept][key]
        for m in MONTHS:
            n = base * MONTH_VOLUME[m] * (1 + rng.uniform(-0.07, 0.07))
            out[(dept, m)] = max(1, int(round(n)))
    return out


# ---------------------------------------------------------------------------
# Ratings
# ---------------------------------------------------------------------------

CUTS = [-1.7, -1.22, -0.5, 0.25]  # latent -> level 1..5
DIMENSIONS = [  # (question id, correlation with the overall latent, shift, share 不适用)
    ("attitude", 0.72, 0.15, 0.02),
    ("efficiency", 0.90, -0.05, 0.015),
    ("convenience", 0.66, 0.0, 0.02),
    ("policy", 0.38, 0.1, 0.065),
]
DEPT_DIMENSION_SHIFT = {("urban-management", "attitude"): -0.5, ("natural-resources", "efficiency"): -0.2,
                        ("taxation", "convenience"): 0.2, ("housing-construction", "policy"): -0.2}


def level(z):
    return 1 + sum(1 for c in CUTS if z > c)


def weighted_sample(rng, weights, k):
    items = list(weights.items())
    chosen = []
    for _ in range(min(k, len(items))):
        total = sum(w for _, w in items)
        r = rng.uniform(0, total)
        acc = 0.0
        for i, (name, w) in enumerate(items):
            acc += w
            if r <= acc:
                chosen.append(name)
                items.pop(i)
                break
        else:
            chosen.append(items.pop()[0])
    return chosen


def pick(rng, table):
    """table: list of (weight, value)."""
    total = sum(w for w, _ in table)
    r = rng.uniform(0, total)
    acc = 0.0
    for w, v in table:
        acc += w
        if r <= acc:
            return v
    return table[-1][1]


# ---------------------------------------------------------------------------
# Comments, built from fragments
# ---------------------------------------------------------------------------

NEGATIVE = {
    "obstruction": [
        "领导都签字同意了，到经办科室又卡住了",
        "上面说可以办，下面经办人说没有先例不敢办",
        "区里协调会都开过了，具体经办的还是卡着不办",
        "材料在科室压了两个多星期，问就是还在走流程",
        "层层审批，一个章要等好几天",
        "分管领导同意了，到了经办环节又要重新论证",
        "窗口受理很快，转到业务科室就没动静了，典型的中梗阻",
    ],
    "slow-action": [
        "承诺{p}个工作日，实际等了{over}个工作日",
        "工作人员说回去等通知就没下文了",
        "打了好几次电话催才有人处理，不催不办",
        "排队时间太长，上午九点取的号，下午才轮到",
        "网上提交以后一直显示审核中，太慢了",
        "网上提交后迟迟没人审核，打电话也没人接",
        "拖了一个多月还没办下来，影响项目开工",
        "说是系统升级，等了一个多星期还是办不了",
    ],
    "buck-passing": [
        "窗口让我去找{other}，{other}又说归窗口管，来回踢皮球",
        "两个科室互相推，都说不归我们管",
        "咨询了三个部门，每个部门都说不是他们负责的",
        "问题涉及两个部门，谁都不愿意牵头，互相推诿",
        "打12345转过来，这边又说要找{other}，扯皮",
    ],
    "multiple-trips": [
        "材料清单上写的和窗口要求的不一样，又跑了一趟",
        "前后跑了{trips}趟才办完",
        "一个事要跑好几个窗口，说好的最多跑一次呢",
        "第一次去说缺证明，第二次去又说格式不对，来回跑",
        "网上能办的事还是要求到现场交纸质材料，白跑一趟",
        "要先去{other}开证明再回来办，来回跑了好几趟",
    ],
    "paperwork": [
        "要求提供的证明太多，有些明明系统里能查到",
        "同样的材料重复提交了好几次",
        "材料要求不清楚，每次去都说缺东西",
        "网上写的材料清单和窗口说的不一致",
        "一份复印件要盖好几个章，材料太多了",
        "部门之间数据不共享，同一份材料要交好几遍",
    ],
    "attitude": [
        "工作人员态度不好，问两句就不耐烦",
        "窗口人员爱答不理，一直在看手机",
        "咨询的时候工作人员脸难看，说话很冲",
        "门难进、脸难看，问什么都说不知道",
        "还没到下班时间就不接待了，态度也不好",
    ],
    "rent-seeking": [
        "有人暗示找指定中介就能快点办，中介费不便宜",
        "要求必须在指定机构做评估，收费不合理",
        "经办人话里话外暗示要表示一下，很反感",
        "说加急要另外交费用，也没有正规收据",
    ],
}
OTHER_TEXTS = ["窗口少，排队久", "停车难", "网上申报系统老是报错", "叫号系统故障", "咨询电话打不通",
               "自助机打印不了", "政策解读不清楚", "办事指南没及时更新"]
OTHER_COMMENTS = {
    "窗口少，排队久": "窗口开得太少，排队很久，建议高峰期多开几个窗口",
    "停车难": "大厅停车太难了，转了半小时才找到车位",
    "网上申报系统老是报错": "网上申报系统老是报错，提交不了，只能跑现场",
    "叫号系统故障": "叫号系统出故障，大家都不知道排到哪了",
    "咨询电话打不通": "咨询电话一直打不通，想问个材料都问不到",
    "自助机打印不了": "自助机打印不了，还得去窗口排队",
    "政策解读不清楚": "政策文件看不懂，问了也没讲清楚",
    "办事指南没及时更新": "网上办事指南还是去年的，按那个准备材料白准备了",
}
NEG_OPENERS = ["", "", "", "办{vitem}，", "这次办{vitem}，", "反映个问题：", "说实话，", "{item}这个事，"]
NEG_CLOSINGS = ["", "", "。", "。建议一次性告知所需材料。", "，希望能改进。", "，希望领导重视一下。", "，体验很差。",
                "，太耽误事了。", "，建议加强监督。", "，希望尽快解决。", "，企业耗不起。", "！"]
PRAISE = [
    "工作人员很耐心，一次就办好了", "窗口人员主动帮忙填表，点赞", "网上就能办，一趟都没跑，很方便",
    "比承诺时间提前{early}天办好了", "帮办代办服务很贴心，省了不少事", "材料一次性告知，清清楚楚",
    "效率很高，当天就拿到了", "工作人员专业，政策讲得很清楚", "预约以后不用排队，很快",
    "中午也有人值班，很人性化", "上门服务，帮企业解决了大问题", "全程网办，方便快捷",
    "办{vitem}比以前快多了", "容缺受理帮了大忙，先办后补", "导办员很热情，一路引导",
]
PRAISE_CLOSINGS = ["", "。", "！", "，点赞！", "，谢谢！", "，为你们点赞。", "，继续保持。", "，非常满意。"]
SHORT_GOOD = ["无", "没有", "很好", "满意", "非常满意", "好", "服务很好", "没意见", "挺好的"]
SUGGESTIONS = [
    "建议增加周末服务窗口", "停车位太少，建议增加", "希望网上办事系统再简化一点", "叫号系统有时候会出故障",
    "建议政策解读再通俗一点", "希望能推出更多一件事联办", "自助机经常打不出来，建议维护",
    "希望能提供证照邮寄服务", "咨询电话经常占线", "希望延长中午的服务时间", "大厅指引标识不太清楚",
    "手机端上传材料经常失败", "希望办理进度能短信通知", "建议把办事指南写得更具体一点",
]
MIXED_OPENERS = ["总体还可以，", "还行，", "基本满意，", "整体不错，", "办是办成了，"]
WINDOW_GOOD = ["很好", "满意", "服务热情", "办事效率高", "很快", "工作人员很耐心", "点赞",
               "一次办好", "非常满意", "态度很好", "讲解清楚", "不用排队，很快", "好"]

# Comments with ASCII commas, double quotes and line breaks (exercise CSV quoting).
MESSY_NEGATIVE = [
    ("窗口说的\"一次性告知\"根本没做到,第二次去又让补材料", ["multiple-trips", "paperwork"]),
    ("工作人员说\"这个不归我们管\",让去找{other},{other}又让回来找他们", ["buck-passing"]),
    ("网上系统提示\"材料不全\",但没说缺什么。\r\n打电话问了三次才知道", ["paperwork", "slow-action"]),
    ("\"马上办\"的牌子挂着,实际等了一个多星期", ["slow-action"]),
    ("1.材料清单和窗口要求不一样\n2.又跑了一趟\n3.排队时间太长", ["multiple-trips", "slow-action"]),
]
MESSY_POSITIVE = [
    "非常满意！\n谢谢工作人员耐心讲解",
    "总体还行,\"最多跑一次\"基本做到了",
    "办事效率挺高,但是停车位太少",
]


def fill(rng, text, ctx):
    return text.format(
        item=ctx["item"], vitem=ctx["item"][:-2] if ctx["item"].endswith("办理") else ctx["item"], p=ctx["promised"], over=max(ctx["promised"] + 2, ctx.get("taken") or 0),
        trips=["两", "三", "四"][min(2, max(0, (ctx.get("trips") or 2) - 2))],
        other=ctx["other"], early=rng.choice(["一", "两", "三"]))


def negative_comment(rng, pain, ctx):
    if pain == "other":
        core = OTHER_COMMENTS[ctx["other_text"]]
    else:
        core = fill(rng, rng.choice(NEGATIVE[pain]), ctx)
    opener = fill(rng, rng.choice(NEG_OPENERS), ctx)
    closing = rng.choice([c for c in NEG_CLOSINGS if "建议" not in core or "建议" not in c])
    if closing == "":
        closing = rng.choice(["", "。"])
    text = opener + core + closing
    if rng.random() < 0.18:  # a second complaint
        second = [p for p in ctx["pains"] if p not in (pain, "other")]
        if second:
            text = text.rstrip("。！") + "；另外" + fill(rng, rng.choice(NEGATIVE[rng.choice(second)]), ctx) + "。"
    return text


ONLINE_PRAISE = {"网上就能办，一趟都没跑，很方便", "全程网办，方便快捷"}
COUNTER_PRAISE = {"窗口人员主动帮忙填表，点赞", "预约以后不用排队，很快", "中午也有人值班，很人性化", "导办员很热情，一路引导"}


def praise_comment(rng, ctx):
    online = ctx.get("channel") in ("online", "mobile", "sms")
    choices = [p for p in PRAISE if p not in (COUNTER_PRAISE if online else ONLINE_PRAISE)
               and (ctx["promised"] >= 3 or "{early}" not in p)]
    return fill(rng, rng.choice(choices), ctx) + rng.choice(PRAISE_CLOSINGS)


def suggestion_comment(rng):
    s = rng.choice(SUGGESTIONS)
    return s + rng.choice(["", "。", "。", "，谢谢。"])


# ---------------------------------------------------------------------------
# Enterprise survey (问卷星)
# ---------------------------------------------------------------------------

CITIES = [(80, "浙江-杭州"), (5, "浙江-绍兴"), (4, "浙江-宁波"), (3, "浙江-湖州"), (3, "浙江-嘉兴"),
          (2, "江苏-苏州"), (1.5, "安徽-合肥"), (1.5, "上海-上海")]


def fake_ip(rng, source):
    if source in ("手机提交", "微信") and rng.random() < 0.85:
        ip = "100.%d.%d.%d" % (rng.randrange(64, 128), rng.randrange(0, 256), rng.randrange(1, 255))
    else:
        ip = "%s.%d" % (rng.choice(["192.0.2", "198.51.100", "203.0.113"]), rng.randrange(1, 255))
    return "%s(%s)" % (ip, pick(rng, CITIES))


def fake_phone(rng):
    r = rng.random()
    if r < 0.9:
        return rng.choice(["13", "15", "18"]) + str(rng.randrange(0, 10)) + "".join(str(rng.randrange(10)) for _ in range(8))
    return "0571-8%s" % "".join(str(rng.randrange(10)) for _ in range(7))


def wjx_time(t):
    return "%d/%d/%d %d:%02d:%02d" % (t.year, t.month, t.day, t.hour, t.minute, t.second)


def department_answer(rng, dept, alias_rate):
    aliases = DEPT_ALIASES[dept]
    if aliases and rng.random() < alias_rate:
        return rng.choice(aliases)
    return DEPT_NAME[dept]


def other_dept(rng, dept):
    if dept in RELATED:
        return rng.choice(RELATED[dept])
    o = rng.choice([d for d in DEPT_IDS if d != dept])
    return (DEPT_ALIASES[o] or [DEPT_NAME[o]])[0]


def make_survey_response(rng, dept, month, when):
    q = quality(dept, month)
    e = rng.gauss(0, 1)
    overall = level(q + e)
    ratings = {"overall": overall}
    for qid, rho, shift, na in DIMENSIONS:
        z = q + shift + DEPT_DIMENSION_SHIFT.get((dept, qid), 0) + rho * e + math.sqrt(1 - rho * rho) * rng.gauss(0, 1)
        ratings[qid] = None if rng.random() < na else level(z)

    items = [it for it in PROFILE[dept]["items"] if it[2] in "EB"]
    item, promised, _ = rng.choice(items)

    channel = pick(rng, [(50, "window"), (30, "online"), (12, "mobile"), (8, "phone")])

    # pain points
    p_any = {5: 0.03, 4: 0.10, 3: 0.45, 2: 0.92, 1: 0.97}[overall]
    pains = []
    other_text = None
    if rng.random() < p_any:
        k = pick(rng, [(45, 1), (35, 2), (20, 3)]) if overall <= 2 else pick(rng, [(80, 1), (20, 2)])
        pains = weighted_sample(rng, pain_weights(dept, month), k)
        if rng.random() < 0.08:
            other_text = rng.choice(OTHER_TEXTS)
            if rng.random() < 0.5:
                pains = pains[:-1]
            pains.append("other")
    if not pains:
        pains_answer = ["none"]
    else:
        pains_answer = sorted(pains, key=ES_PAIN_ORDER.index)

    # trips
    if channel in ("online", "mobile"):
        trips = 0 if rng.random() < 0.85 else 1
        if "multiple-trips" in pains:
            trips = rng.choice([1, 1, 2, 3])
    elif channel == "phone":
        trips = rng.choice([0, 1])
        if "multiple-trips" in pains:
            trips = rng.choice([2, 3])
    else:
        trips = pick(rng, [(76, 1), (15, 2), (6, 3), (3, 4)])
        if "multiple-trips" in pains:
            trips = rng.choice([2, 2, 3, 3, 4, 5])
        elif overall >= 4 and trips > 2:
            trips = 1

    # days
    if promised <= 1:
        taken = rng.choice([0, 0, 1, 1, 1])
    else:
        taken = int(round(promised * rng.betavariate(2.2, 2.0)))
    late = 0.65 if "slow-action" in pains else {5: 0.0, 4: 0.02, 3: 0.08, 2: 0.2, 1: 0.25}[overall]
    if rng.random() < late:
        taken = promised + rng.randint(1, max(2, promised))
    if overall == 5 and taken >= promised and promised > 1 and rng.random() < 0.5:
        taken = max(0, promised - rng.randint(1, 3))

    ctx = {"item": item, "promised": promised, "taken": taken, "trips": trips, "pains": pains, "channel": channel,
           "other": other_dept(rng, dept), "other_text": other_text}

    # comment
    comment = ""
    real_pains = [p for p in pains if p != "other"]
    if overall <= 2:
        if rng.random() < 0.86:
            if pains:
                comment = negative_comment(rng, rng.choice(pains), ctx)
            else:
                pw = pain_weights(dept, month)
                ctx["pains"] = weighted_sample(rng, pw, 1)
                comment = negative_comment(rng, ctx["pains"][0], ctx)
    elif overall == 3:
        r = rng.random()
        if pains and r < 0.6:
            comment = negative_comment(rng, rng.choice(pains), ctx)
        elif r < 0.35:
            comment = ""
        elif r < 0.45:
            comment = rng.choice(SHORT_GOOD[:2])
        elif r < 0.75:
            comment = suggestion_comment(rng)
        else:
            comment = rng.choice(MIXED_OPENERS) + rng.choice(SUGGESTIONS) + "。"
    else:
        r = rng.random()
        if pains and r < 0.5:
            comment = rng.choice(MIXED_OPENERS) + negative_comment(rng, rng.choice(pains), dict(ctx, pains=[])).rstrip("。！") + "。"
        elif r < 0.5:
            comment = ""
        elif r < 0.62:
            comment = rng.choice(SHORT_GOOD)
        elif r < 0.9:
            comment = praise_comment(rng, ctx)
        else:
            comment = suggestion_comment(rng)

    recommend = None
    if rng.random() >= 0.2:
        lo, hi = {1: (0, 4), 2: (1, 6), 3: (4, 8), 4: (7, 9), 5: (8, 10)}[overall]
        recommend = rng.randint(lo, hi)

    phone = None
    r = rng.random()
    if r < 0.22 + (0.1 if overall <= 2 else 0):
        phone = fake_phone(rng)

    return {
        "dept": dept, "when": when, "overall": overall, "ratings": ratings, "item": item, "promised": promised,
        "taken": taken, "trips": trips, "channel": channel, "pains": pains_answer, "other_text": other_text,
        "comment": comment, "recommend": recommend, "phone": phone, "real_pains": real_pains,
    }


def survey_time(rng, month):
    if rng.random() < 0.84:
        t = office_time(rng, rng.choice(WORKDAYS[month]))
        t += dt.timedelta(minutes=rng.randrange(0, 25))  # answered a little after the visit
        return t
    return off_hours_time(rng, month)


def render_survey_row(rng, seq, r):
    score_style = rng.random() < 0.10  # 5分 … 1分

    def rating_text(v):
        if v is None:
            return "不适用"
        return "%d分" % v if score_style else LEVELS[v - 1]

    source = pick(rng, [(50, "手机提交"), (35, "微信"), (15, "链接")])
    ch = ES_CHANNELS[r["channel"]]
    channel_text = rng.choice(ch["aliases"]) if ch.get("aliases") and rng.random() < 0.08 else zh(ch["label"])
    pains = []
    for v in r["pains"]:
        label = ES_PAIN_LABEL[v]
        if v == "other":
            label += "〖%s〗" % r["other_text"]
        pains.append(label)
    comment = r["comment"] if r["comment"] else "(空)"
    secs = int(55 + rng.lognormvariate(4.3, 0.55) + 1.5 * len(r["comment"]))
    item_text = r["item"] if rng.random() > 0.02 else "(空)"
    skip = lambda v: "(跳过)" if v is None else str(v)
    trips = None if rng.random() < 0.03 else r["trips"]
    taken = None if rng.random() < 0.04 else r["taken"]
    promised = None if rng.random() < 0.05 else r["promised"]
    return [
        str(seq), wjx_time(r["when"]), "%d秒" % secs, source, fake_ip(rng, source),
        r["dept_text"], item_text, channel_text,
        rating_text(r["ratings"]["overall"]),
        rating_text(r["ratings"]["attitude"]), rating_text(r["ratings"]["efficiency"]),
        rating_text(r["ratings"]["convenience"]), rating_text(r["ratings"]["policy"]),
        skip(r["recommend"]), "┋".join(pains),
        skip(trips), skip(taken), skip(promised), comment, skip(r["phone"]),
    ]


def generate_survey(rng):
    counts = monthly_counts(rng, "survey")
    responses = []
    for m in MONTHS:
        for dept in DEPT_IDS:
            for _ in range(counts[(dept, m)]):
                responses.append(make_survey_response(rng, dept, m, survey_time(rng, m)))
    responses.sort(key=lambda r: (r["when"], DEPT_IDS.index(r["dept"])))

    # Month boundaries in local time.
    march = [i for i, r in enumerate(responses) if r["when"].month == 3 and r["when"].day == 31]
    may = [i for i, r in enumerate(responses) if r["when"].month == 5 and r["when"].day == 6]
    responses[march[len(march) // 2]]["when"] = dt.datetime(2025, 3, 31, 23, 50, 27)
    responses[may[len(may) // 3]]["when"] = dt.datetime(2025, 5, 1, 0, 30, 8)
    responses.sort(key=lambda r: (r["when"], DEPT_IDS.index(r["dept"])))

    # Messy comments (commas, quotes, line breaks) on a handful of answers.
    candidates_neg = [r for r in responses if r["overall"] <= 2 and r["comment"]]
    candidates_pos = [r for r in responses if r["overall"] >= 4 and r["comment"] and not r["real_pains"]]
    for text, pains in MESSY_NEGATIVE:
        r = rng.choice(candidates_neg)
        candidates_neg.remove(r)
        r["comment"] = text.replace("{other}", other_dept(rng, r["dept"]))
        r["pains"] = sorted(set(pains) | set(p for p in r["pains"] if p != "none"), key=ES_PAIN_ORDER.index)
    for text in MESSY_POSITIVE:
        r = rng.choice(candidates_pos)
        candidates_pos.remove(r)
        r["comment"] = text

    for r in responses:
        r["dept_text"] = department_answer(rng, r["dept"], 0.13)

    rows = [render_survey_row(rng, i + 1, r) for i, r in enumerate(responses)]

    # Invalid records, one defect each, spread through the file.
    col = {h: i for i, h in enumerate(ES_HEADERS)}
    qcol = {q["id"]: 5 + i for i, q in enumerate(ES_QUESTIONS)}
    boundary = {wjx_time(dt.datetime(2025, 3, 31, 23, 50, 27)), wjx_time(dt.datetime(2025, 5, 1, 0, 30, 8))}
    defects = [
        (0.07, "overall", "7分", "总体满意度 7分: outside the 5-level scale"),
        (0.23, "department", "外星事务局", "部门 外星事务局: no department or alias of that name"),
        (0.39, "overall", "(跳过)", "总体满意度 (跳过): the item is required"),
        (0.56, "trips", "三次", "跑动次数 三次: not an integer"),
        (0.72, "days_taken", "-2", "实际办理用时 -2: below min 0"),
        (0.89, "submitted_at", "2025/13/45 25:61:00", "提交答卷时间 2025/13/45 25:61:00: not a date"),
    ]
    invalid = []
    for frac, field, value, why in defects:
        i = int(len(rows) * frac)
        while rows[i][col["提交答卷时间"]] in boundary or "(跳过)" in (rows[i][qcol["trips"]], rows[i][qcol["days_taken"]]):
            i += 1
        if field == "submitted_at":
            rows[i][col["提交答卷时间"]] = value
        else:
            rows[i][qcol[field]] = value
        invalid.append((rows[i][0], why))
    return rows, invalid


# ---------------------------------------------------------------------------
# Window 好差评 evaluations
# ---------------------------------------------------------------------------


def window_time(rng, month, channel):
    if channel in ("window", "qr-code"):
        return office_time(rng, rng.choice(WORKDAYS[month]), start=(8, 45), end=(17, 15))
    if rng.random() < 0.7:
        t = office_time(rng, rng.choice(WORKDAYS[month]))
        return t + dt.timedelta(minutes=rng.randrange(20, 240))
    return off_hours_time(rng, month)


def make_evaluation(rng, dept, month):
    channel = pick(rng, [(60, "window"), (25, "qr-code"), (10, "online"), (5, "sms")])
    when = window_time(rng, month, channel)
    q = quality(dept, month) + WINDOW_LENIENCY
    rating = level(q + rng.gauss(0, 1))
    items = [it for it in PROFILE[dept]["items"] if it[2] in "WB"] or PROFILE[dept]["items"]
    item, promised, _ = rng.choice(items)
    reasons = []
    other_text = None
    if rating <= 2:
        k = pick(rng, [(60, 1), (30, 2), (10, 3)])
        w = pain_weights(dept, month)
        w["other"] = 0.9
        reasons = weighted_sample(rng, w, k)
        if "other" in reasons:
            other_text = rng.choice(OTHER_TEXTS)
        reasons.sort(key=WE_REASON_VALUES.index)
    ctx = {"item": item, "promised": promised, "taken": None, "trips": None, "pains": reasons, "channel": channel,
           "other": other_dept(rng, dept), "other_text": other_text}
    if rating <= 2:
        comment = negative_comment(rng, rng.choice(reasons), ctx) if rng.random() < 0.9 else ""
    elif rating == 3:
        r = rng.random()
        comment = "" if r < 0.55 else (suggestion_comment(rng) if r < 0.85 else rng.choice(["一般", "还行", "凑合"]))
    else:
        r = rng.random()
        comment = "" if r < 0.6 else (rng.choice(WINDOW_GOOD) if r < 0.87 else praise_comment(rng, ctx))
    ch = WE_CHANNELS[channel]
    channel_text = channel if rng.random() < 0.2 else zh(ch["label"])
    rec = {
        "evaluation_id": None,
        "evaluated_at": None,
        "department": department_answer(rng, dept, 0.12),
        "service_item": item,
        "channel": channel_text,
        "rating": rating,
    }
    if rating <= 2:
        rec["bad_reasons"] = reasons
    elif rng.random() < 0.6:
        rec["bad_reasons"] = []
    rec["comment"] = comment
    return {"dept": dept, "when": when, "rec": rec}


def generate_window(rng):
    counts = monthly_counts(rng, "window")
    evals = []
    for m in MONTHS:
        for dept in DEPT_IDS:
            for _ in range(counts[(dept, m)]):
                evals.append(make_evaluation(rng, dept, m))
    evals.sort(key=lambda e: (e["when"], DEPT_IDS.index(e["dept"])))

    # Month boundaries (online evaluations late at night).
    online = [e for e in evals if e["rec"]["channel"] in ("网上评价", "online") and e["rec"]["rating"] >= 3]
    mar = [e for e in online if e["when"].month == 3]
    may = [e for e in online if e["when"].month == 5]
    mar[len(mar) // 2]["when"] = dt.datetime(2025, 3, 31, 23, 58, 41)
    may[len(may) // 2]["when"] = dt.datetime(2025, 5, 1, 0, 7, 19)
    evals.sort(key=lambda e: (e["when"], DEPT_IDS.index(e["dept"])))

    per_day = Counter()
    for e in evals:
        d = e["when"].date()
        per_day[d] += 1
        e["rec"]["evaluation_id"] = "HCP%s%04d" % (d.strftime("%Y%m%d"), per_day[d])
        e["rec"]["evaluated_at"] = e["when"].strftime("%Y-%m-%dT%H:%M:%S") + "+08:00"

    lines = [json.dumps(e["rec"], ensure_ascii=False) for e in evals]
    n = len(lines)
    special = []

    def find(start, cond):
        i = start
        while not cond(evals[i]):
            i += 1
        return i

    ordinary = lambda e: e["when"].hour not in (0, 23)
    i = find(int(n * 0.12), lambda e: ordinary(e) and e["rec"]["rating"] == 5)
    evals[i]["rec"]["rating"] = 6
    lines[i] = json.dumps(evals[i]["rec"], ensure_ascii=False)
    special.append((evals[i]["rec"]["evaluation_id"], "rating 6: outside 1..5"))

    i = find(int(n * 0.31), lambda e: ordinary(e) and e["rec"]["rating"] >= 3)
    evals[i]["rec"]["department"] = ""
    lines[i] = json.dumps(evals[i]["rec"], ensure_ascii=False)
    special.append((evals[i]["rec"]["evaluation_id"], "department \"\": required"))

    april = [k for k, e in enumerate(evals) if e["when"].month == 4 and ordinary(e)]
    i = april[len(april) // 2]
    full = lines[i]
    cut = full.index('"evaluated_at": "2025-04-') + len('"evaluated_at": "2025-04-')
    lines[i] = full[:cut]
    special.append((evals[i]["rec"]["evaluation_id"], "truncated JSON"))

    i = find(int(n * 0.68), lambda e: ordinary(e) and e["rec"]["rating"] <= 2)
    evals[i]["rec"]["bad_reasons"] = ["slow-acton"]
    lines[i] = json.dumps(evals[i]["rec"], ensure_ascii=False)
    special.append((evals[i]["rec"]["evaluation_id"], "bad_reasons [\"slow-acton\"]: misspelt choice"))

    # Three exact repeats of earlier lines (overlapping exports), inserted later in the file.
    taken = {e for e, _ in special}
    repeats = []
    for frac, gap in [(0.2, 37), (0.47, 120), (0.83, 9)]:
        i = find(int(n * frac), lambda e: ordinary(e) and e["rec"]["evaluation_id"] not in taken)
        repeats.append((i, i + gap))
    for src, dst in sorted(repeats, key=lambda p: -p[1]):
        lines.insert(dst + 1, lines[src])
    for src, _ in repeats:
        special.append((evals[src]["rec"]["evaluation_id"], "exact repeat of an earlier line"))
    return lines, special


# ---------------------------------------------------------------------------
# Reading the files back: an independent check and the summary
# ---------------------------------------------------------------------------

NAME_TO_DEPT = {}
for d in DEPT_IDS:
    NAME_TO_DEPT[d] = d
    NAME_TO_DEPT[DEPT_NAME[d]] = d
    for a in DEPT_ALIASES[d]:
        NAME_TO_DEPT[a] = d


def rating_value(text, q):
    levels = [zh(l) for l in q.get("levels", [])] or LEVELS
    if text in levels:
        return levels.index(text) + 1
    if text in q.get("aliases", {}):
        return q["aliases"][text]
    if text in q.get("notApplicable", []):
        return "na"
    raise ValueError("rating %r" % text)


def check_survey(path):
    with open(path, "rb") as f:
        raw = f.read()
    assert raw.startswith(b"\xef\xbb\xbf"), "BOM"
    text = raw.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    assert header == ES_HEADERS, header
    valid, invalid, aliases = [], [], 0
    start_line = reader.line_num + 1
    qi = {q["id"]: 5 + i for i, q in enumerate(ES_QUESTIONS)}
    for row in reader:
        line = start_line
        start_line = reader.line_num + 1
        try:
            date_s, time_s = row[1].split(" ")
            y, mo, d = map(int, date_s.split("/"))
            h, mi, s = map(int, time_s.split(":"))
            when = dt.datetime(y, mo, d, h, mi, s)
            dept_text = row[qi["department"]]
            if dept_text not in NAME_TO_DEPT:
                raise ValueError("department %r" % dept_text)
            if dept_text != DEPT_NAME[NAME_TO_DEPT[dept_text]]:
                aliases += 1
            overall = row[qi["overall"]]
            if overall in ("(跳过)", "(空)", ""):
                raise ValueError("overall missing")
            ov = rating_value(overall, question(ES_FORM, "overall"))
            if ov == "na":
                raise ValueError("overall n/a")
            dims = {}
            for qid, *_ in DIMENSIONS:
                dims[qid] = rating_value(row[qi[qid]], question(ES_FORM, qid))
            rec = row[qi["recommend"]]
            if rec != "(跳过)" and not (rec.isdigit() and 0 <= int(rec) <= 10):
                raise ValueError("recommend %r" % rec)
            for part in row[qi["pain_points"]].split("┋"):
                label = part.split("〖")[0]
                if label not in ES_PAIN_LABEL.values() and label != "(跳过)":
                    raise ValueError("pain point %r" % part)
            for qid in ("trips", "days_taken", "days_promised"):
                v = row[qi[qid]]
                if v == "(跳过)":
                    continue
                if not v.lstrip("-").isdigit():
                    raise ValueError("%s %r not an integer" % (qid, v))
                qq = question(ES_FORM, qid)
                if not qq["min"] <= int(v) <= qq["max"]:
                    raise ValueError("%s %r out of range" % (qid, v))
            valid.append({"seq": row[0], "when": when, "dept": NAME_TO_DEPT[dept_text], "overall": ov,
                          "dims": dims, "comment": row[qi["comment"]], "item": row[qi["service_item"]]})
        except ValueError as err:
            invalid.append((row[0], line, str(err)))
    return valid, invalid, aliases, text.count("\r\n"), len(raw)


def check_window(path):
    with open(path, "rb") as f:
        raw = f.read()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
    valid, invalid, seen = [], [], {}
    aliases = 0
    for n, line in enumerate(raw.decode("utf-8").split("\n")[:-1], start=1):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            invalid.append((line[19:34] if line.startswith('{"evaluation_id": "') else "?", n, "not JSON (truncated)"))
            continue
        eid = rec["evaluation_id"]
        if eid in seen:
            invalid.append((eid, n, "duplicate of line %d (%s)" % (seen[eid][0], "identical" if seen[eid][1] == line else "different")))
            continue
        seen[eid] = (n, line)
        try:
            when = dt.datetime.fromisoformat(rec["evaluated_at"])
            if rec["department"] not in NAME_TO_DEPT:
                raise ValueError("department %r" % rec["department"])
            if rec["department"] != DEPT_NAME[NAME_TO_DEPT[rec["department"]]]:
                aliases += 1
            if not (isinstance(rec["rating"], int) and 1 <= rec["rating"] <= 5):
                raise ValueError("rating %r" % rec["rating"])
            reasons = rec.get("bad_reasons", [])
            for v in reasons:
                if v not in WE_REASON_VALUES:
                    raise ValueError("bad reason %r" % v)
            if (rec["rating"] <= 2) != bool(reasons):
                raise ValueError("bad_reasons inconsistent with rating")
            ch = rec["channel"]
            if ch not in WE_CHANNELS and ch not in [zh(c["label"]) for c in WE_CHANNELS.values()]:
                raise ValueError("channel %r" % ch)
            valid.append({"seq": eid, "when": when, "dept": NAME_TO_DEPT[rec["department"]], "overall": rec["rating"],
                          "comment": rec["comment"], "item": rec["service_item"]})
        except ValueError as err:
            invalid.append((eid, n, str(err)))
    return valid, invalid, aliases, raw.count(b"\n"), len(raw)


def pearson(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    return sxy / (sx * sy)


def summarize(title, name, valid, invalid, aliases, lines, size, dims=False):
    print("=" * 78)
    print("%s  (%s, %d bytes, %d lines)" % (name, title, size, lines))
    print("  valid records %d, invalid or duplicate %d, department written as alias %d (%.1f%%)"
          % (len(valid), len(invalid), aliases, 100.0 * aliases / len(valid)))
    bad = sum(1 for r in valid if r["overall"] <= 2)
    print("  差评 (rating 1-2) overall: %d of %d = %.1f%%" % (bad, len(valid), 100.0 * bad / len(valid)))
    print("  distinct comments %d, distinct service items %d"
          % (len(set(r["comment"] for r in valid)), len(set(r["item"] for r in valid))))
    if dims:
        for qid, *_ in DIMENSIONS:
            pairs = [(r["overall"], r["dims"][qid]) for r in valid if r["dims"][qid] != "na"]
            print("  correlation 总体满意度 ~ %-11s r = %.2f  (n=%d)" % (qid, pearson(*zip(*pairs)), len(pairs)))
    by_month = Counter(r["when"].month for r in valid)
    bad_month = Counter(r["when"].month for r in valid if r["overall"] <= 2)
    print("  per month (local time):")
    for m in MONTHS:
        print("    2025-%02d  %5d  差评 %5.1f%%" % (m, by_month[m], 100.0 * bad_month[m] / by_month[m]))
    cnt = defaultdict(Counter)
    badc = defaultdict(Counter)
    for r in valid:
        cnt[r["dept"]][r["when"].month] += 1
        if r["overall"] <= 2:
            badc[r["dept"]][r["when"].month] += 1
    print("  per department: count per month (差评 %% per month) | total, 差评 %%")
    for d in sorted(DEPT_IDS, key=lambda d: -sum(cnt[d].values())):
        cells = []
        for m in MONTHS:
            c = cnt[d][m]
            cells.append("%4d (%3.0f%%)" % (c, 100.0 * badc[d][m] / c if c else 0))
        total = sum(cnt[d].values())
        tb = sum(badc[d].values())
        print("    %-26s %s | %5d  %5.1f%%" % (DEPT_NAME[d], "  ".join(cells), total, 100.0 * tb / total))
    print("  invalid or duplicate records:")
    for ident, line, why in invalid:
        print("    %-18s line %-5d %s" % (ident, line, why))


def main():
    rng = random.Random(SEED)
    rows, survey_invalid = generate_survey(rng)
    lines, window_special = generate_window(rng)

    csv_path = os.path.join(HERE, CSV_NAME)
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(ES_HEADERS)
        w.writerows(rows)
    jsonl_path = os.path.join(HERE, JSONL_NAME)
    with open(jsonl_path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")

    v, inv, al, nl, size = check_survey(csv_path)
    summarize("问卷星 export, %d data rows" % len(rows), CSV_NAME, v, inv, al, nl, size, dims=True)
    assert [s for s, _, _ in inv] == [s for s, _ in survey_invalid], (inv, survey_invalid)
    v, inv, al, nl, size = check_window(jsonl_path)
    summarize("好差评, %d lines" % len(lines), JSONL_NAME, v, inv, al, nl, size)
    assert sorted(i for i, _, _ in inv) == sorted(i for i, _ in window_special), (inv, window_special)


if __name__ == "__main__":
    main()
