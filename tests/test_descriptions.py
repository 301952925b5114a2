"""Descriptions in English and Simplified Chinese: a table covering every syntax feature.

Each row: dialect (``posix-s`` is posix with the seconds field), expression, job id (for ``H``),
English, Chinese. The words come from the compiled masks, so equal schedules read the same.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triggerkit import Cron, describe
from triggerkit.descriptions import describe_masks, shape, weekday_runs
from triggerkit.strategies import cron_expressions

TABLE = [
    ("posix", "* * * * *", None, "every minute", "每分钟"),
    ("posix", "*/5 * * * *", None, "every 5 minutes", "每 5 分钟"),
    ("posix", "*/15 * * * *", None, "every 15 minutes", "每 15 分钟"),
    ("posix", "*/30 * * * *", None, "every 30 minutes", "每 30 分钟"),
    ("posix", "5/15 * * * *", None, "every 15 minutes from minute 5", "从第 5 分钟起每 15 分钟"),
    (
        "posix",
        "5-40/5 * * * *",
        None,
        "every 5 minutes from minute 5 through 40",
        "第 5 至 40 分钟每 5 分钟",
    ),
    ("posix", "0 * * * *", None, "every hour, on the hour", "每小时整点"),
    ("posix", "30 * * * *", None, "every hour at minute 30", "每小时第 30 分钟"),
    ("posix", "0,30 * * * *", None, "every 30 minutes", "每 30 分钟"),
    ("posix", "0,15,45 * * * *", None, "at minutes 0, 15 and 45", "第 0、15 和 45 分钟"),
    (
        "posix",
        "5-10 * * * *",
        None,
        "every minute from minute 5 through 10",
        "第 5 至 10 分钟每分钟",
    ),
    ("posix", "0 9 * * *", None, "every day at 09:00", "每天 09:00"),
    ("posix", "30 9,17 * * *", None, "every day at 09:30 and 17:30", "每天 09:30 和 17:30"),
    ("posix", "0 9-17 * * *", None, "every hour from 09:00 to 17:00", "09:00 至 17:00 每小时"),
    ("posix", "0 */2 * * *", None, "every 2 hours, on the hour", "每 2 小时整点"),
    ("posix", "0 */6 * * *", None, "every 6 hours, on the hour", "每 6 小时整点"),
    (
        "posix",
        "30 1-23/2 * * *",
        None,
        "every 2 hours at minute 30, from 01:30 to 23:30",
        "01:30 至 23:30 每 2 小时第 30 分钟",
    ),
    ("posix", "* 9 * * *", None, "every minute, from 09:00 to 09:59", "09:00 至 09:59 每分钟"),
    (
        "posix",
        "*/15 9-17 * * mon-fri",
        None,
        "every 15 minutes, from 09:00 to 17:59, Monday to Friday",
        "周一至周五 09:00 至 17:59 每 15 分钟",
    ),
    (
        "posix",
        "*/10 9,12,18 * * *",
        None,
        "every 10 minutes, during hours 9, 12 and 18",
        "9、12 和 18 点内每 10 分钟",
    ),
    (
        "posix",
        "0 8-10,14-16 * * *",
        None,
        "every day at 08:00, 09:00, 10:00, 14:00, 15:00 and 16:00",
        "每天 08:00、09:00、10:00、14:00、15:00 和 16:00",
    ),
    ("posix", "0 0 * * *", None, "every day at 00:00", "每天 00:00"),
    ("posix", "0 0 1 * *", None, "at 00:00, on day 1 of the month", "每月 1 日 00:00"),
    (
        "posix",
        "0 0 1,15 * *",
        None,
        "at 00:00, on days 1 and 15 of the month",
        "每月 1 和 15 日 00:00",
    ),
    (
        "posix",
        "0 0 1-7 * *",
        None,
        "at 00:00, on days 1 to 7 of the month",
        "每月 1 日至 7 日 00:00",
    ),
    ("posix", "0 0 */2 * *", None, "at 00:00, every 2 days of the month", "每月每 2 天 00:00"),
    ("posix", "0 0 1 1 *", None, "at 00:00, on 1 January", "每年 1 月 1 日 00:00"),
    ("posix", "0 0 25 12 *", None, "at 00:00, on 25 December", "每年 12 月 25 日 00:00"),
    ("posix", "0 0 * * 0", None, "at 00:00, on Sunday", "每周日 00:00"),
    ("posix", "0 0 * * 7", None, "at 00:00, on Sunday", "每周日 00:00"),
    ("posix", "0 0 * * 6,0", None, "at 00:00, on Saturday and Sunday", "每周六和周日 00:00"),
    (
        "posix",
        "0 0 * * 1,3,5",
        None,
        "at 00:00, on Monday, Wednesday and Friday",
        "每周一、周三和周五 00:00",
    ),
    ("posix", "0 0 * * 1-5", None, "at 00:00, Monday to Friday", "周一至周五 00:00"),
    ("posix", "15 10 * * 5-7", None, "at 10:15, Friday to Sunday", "周五至周日 10:15"),
    ("posix", "0 0 * * SAT,SUN", None, "at 00:00, on Saturday and Sunday", "每周六和周日 00:00"),
    (
        "posix",
        "0 0 1 * mon",
        None,
        "at 00:00, on day 1 of the month or on Monday",
        "每月 1 日或每周一 00:00",
    ),
    (
        "posix",
        "0 0 13 * 5",
        None,
        "at 00:00, on day 13 of the month or on Friday",
        "每月 13 日或每周五 00:00",
    ),
    (
        "posix",
        "0 0 */2 * mon",
        None,
        "at 00:00, every 2 days of the month, if it is Monday",
        "每月每 2 天中的周一 00:00",
    ),
    ("posix", "0 12 * jan-mar *", None, "at 12:00, January to March", "1 月至 3 月的每天 12:00"),
    (
        "posix",
        "0 12 * */3 *",
        None,
        "at 12:00, every 3 months (January, April, July and October)",
        "每 3 个月（1、4、7 和 10 月）的每天 12:00",
    ),
    ("posix", "0 12 * 1,7 *", None, "at 12:00, in January and July", "1 月和 7 月的每天 12:00"),
    (
        "posix",
        "0 12 1 jan,apr,jul,oct *",
        None,
        "at 12:00, on day 1 of the month, every 3 months (January, April, July and October)",
        "每 3 个月（1、4、7 和 10 月）的 1 日 12:00",
    ),
    ("posix", "0 0 31 * *", None, "at 00:00, on day 31 of the month", "每月 31 日 00:00"),
    ("posix", "@hourly", None, "every hour, on the hour", "每小时整点"),
    ("posix", "@daily", None, "every day at 00:00", "每天 00:00"),
    ("posix", "@weekly", None, "at 00:00, on Sunday", "每周日 00:00"),
    ("posix", "@monthly", None, "at 00:00, on day 1 of the month", "每月 1 日 00:00"),
    ("posix", "@yearly", None, "at 00:00, on 1 January", "每年 1 月 1 日 00:00"),
    ("posix", "H H * * *", "job", "every day at 16:45", "每天 16:45"),
    ("posix", "H/15 * * * *", "job", "every 15 minutes", "每 15 分钟"),
    ("posix", "H(0-29) 3 * * *", "job", "every day at 03:15", "每天 03:15"),
    ("posix-s", "*/10 * * * * *", None, "every 10 seconds", "每 10 秒"),
    ("posix-s", "30 0 9 * * *", None, "every day at 09:00:30", "每天 09:00:30"),
    ("posix-s", "0 */5 * * * *", None, "every 5 minutes", "每 5 分钟"),
    ("quartz", "0 0 12 * * ?", None, "every day at 12:00", "每天 12:00"),
    ("quartz", "0 15 10 ? * MON-FRI", None, "at 10:15, Monday to Friday", "周一至周五 10:15"),
    (
        "quartz",
        "0 0 12 ? * FRI#3",
        None,
        "at 12:00, on the third Friday of the month",
        "每月第三个周五 12:00",
    ),
    (
        "quartz",
        "0 0 12 ? * 2#1",
        None,
        "at 12:00, on the first Monday of the month",
        "每月第一个周一 12:00",
    ),
    (
        "quartz",
        "0 0 12 L * ?",
        None,
        "at 12:00, on the last day of the month",
        "每月最后一天 12:00",
    ),
    (
        "quartz",
        "0 0 12 L-3 * ?",
        None,
        "at 12:00, 3 days before the last day of the month",
        "每月最后一天的前 3 天 12:00",
    ),
    (
        "quartz",
        "0 0 12 LW * ?",
        None,
        "at 12:00, on the last weekday of the month",
        "每月最后一个工作日 12:00",
    ),
    (
        "quartz",
        "0 0 12 15W * ?",
        None,
        "at 12:00, on the weekday nearest day 15 of the month",
        "每月最接近 15 日的工作日 12:00",
    ),
    (
        "quartz",
        "0 0 12 ? * 6L",
        None,
        "at 12:00, on the last Friday of the month",
        "每月最后一个周五 12:00",
    ),
    ("quartz", "0 0 12 ? * L", None, "at 12:00, on Saturday", "每周六 12:00"),
    ("quartz", "*/5 * * * * ?", None, "every 5 seconds", "每 5 秒"),
    ("quartz", "0/30 * * * * ?", None, "every 30 seconds", "每 30 秒"),
    (
        "quartz",
        "15 10 * * * ?",
        None,
        "every hour at minute 10, at second 15",
        "每小时第 10 分钟第 15 秒",
    ),
    ("quartz", "30 * * * * ?", None, "every minute at second 30", "每分钟第 30 秒"),
    (
        "quartz",
        "0 0/5 14 * * ?",
        None,
        "every 5 minutes, from 14:00 to 14:59",
        "14:00 至 14:59 每 5 分钟",
    ),
    (
        "quartz",
        "0 0/5 14,18 * * ?",
        None,
        "every 5 minutes, during hours 14 and 18",
        "14 和 18 点内每 5 分钟",
    ),
    (
        "quartz",
        "0 10,44 14 ? 3 WED",
        None,
        "at 14:10 and 14:44, on Wednesday, in March",
        "3 月的每周三 14:10 和 14:44",
    ),
    ("quartz", "0 15 10 ? * * 2025", None, "at 10:15, in 2025", "2025 年 每天 10:15"),
    (
        "quartz",
        "0 15 10 ? * * 2025-2030",
        None,
        "at 10:15, in years 2025 to 2030",
        "2025 年至 2030 年 每天 10:15",
    ),
    ("quartz", "0 11 11 11 11 ?", None, "at 11:11, on 11 November", "每年 11 月 11 日 11:11"),
    (
        "quartz",
        "10-20 * * * * ?",
        None,
        "every second from second 10 through 20",
        "第 10 至 20 秒每秒",
    ),
    ("quartz", "* 30 9 * * ?", None, "every second, during 09:30", "09:30 这一分钟内每秒"),
    ("quartz", "0 0 12 1/5 * ?", None, "at 12:00, every 5 days of the month", "每月每 5 天 12:00"),
    (
        "quartz",
        "*/10 * 9-17 ? * MON-FRI",
        None,
        "every 10 seconds, from 09:00 to 17:59, Monday to Friday",
        "周一至周五 09:00 至 17:59 每 10 秒",
    ),
    (
        "quartz",
        "0 0 22-2 * * ?",
        None,
        "every day at 00:00, 01:00, 02:00, 22:00 and 23:00",
        "每天 00:00、01:00、02:00、22:00 和 23:00",
    ),
    ("quartz", "0 0 12 ? * FRI-MON", None, "at 12:00, Friday to Monday", "周五至周一 12:00"),
    ("aps", "0 9 * * 0", None, "at 09:00, on Monday", "每周一 09:00"),
    (
        "aps",
        "0 9 1-7 * 0",
        None,
        "at 09:00, on days 1 to 7 of the month, if it is Monday",
        "每月 1 日至 7 日中的周一 09:00",
    ),
    ("aps", "0 9 last * *", None, "at 09:00, on the last day of the month", "每月最后一天 09:00"),
    (
        "aps",
        "*/20 * * * sat,sun",
        None,
        "every 20 minutes, on Saturday and Sunday",
        "每周六和周日 每 20 分钟",
    ),
    (
        "aps",
        "0 0 1 */2 *",
        None,
        "at 00:00, on day 1 of the month, every 2 months "
        "(January, March, May, July, September and November)",
        "每 2 个月（1、3、5、7、9 和 11 月）的 1 日 00:00",
    ),
    (
        "posix",
        "0 0 1 1,3,11,12 *",
        None,
        "at 00:00, on day 1 of the month, in January, March, November and December",
        "1 月、3 月、11 月和 12 月的 1 日 00:00",
    ),
    ("posix", "0,1,2,30 * * * *", None, "at minutes 0 to 2 and 30", "第 0 至 2 和 30 分钟"),
    (
        "quartz",
        "15,45 * 9 ? * MON",
        None,
        "every 30 seconds from second 15, from 09:00 to 09:59, on Monday",
        "每周一 09:00 至 09:59 从第 15 秒起每 30 秒",
    ),
    (
        "quartz",
        "0,20,40 * 9-17 * * ?",
        None,
        "every 20 seconds, from 09:00 to 17:59",
        "09:00 至 17:59 每 20 秒",
    ),
    (
        "aps",
        "0 12 * * mon,tue,thu",
        None,
        "at 12:00, on Monday, Tuesday and Thursday",
        "每周一、周二和周四 12:00",
    ),
]


def _args(dialect: str) -> tuple[str, bool]:
    return ("posix", True) if dialect == "posix-s" else (dialect, False)


@pytest.mark.parametrize(
    ("dialect", "expr", "job_id", "english"),
    [row[:4] for row in TABLE],
    ids=[f"{r[0]}:{r[1]}" for r in TABLE],
)
def test_english(dialect: str, expr: str, job_id: str | None, english: str) -> None:
    name, seconds = _args(dialect)
    assert describe(expr, "en", name, seconds=seconds, job_id=job_id) == english


@pytest.mark.parametrize(
    ("dialect", "expr", "job_id", "chinese"),
    [row[:3] + row[4:] for row in TABLE],
    ids=[f"{r[0]}:{r[1]}" for r in TABLE],
)
def test_chinese(dialect: str, expr: str, job_id: str | None, chinese: str) -> None:
    name, seconds = _args(dialect)
    assert describe(expr, "zh", name, seconds=seconds, job_id=job_id) == chinese


def test_the_table_is_large_enough() -> None:
    assert len(TABLE) >= 60
    assert {row[0] for row in TABLE} == {"posix", "posix-s", "quartz", "aps"}


def test_the_top_level_describe_stays_the_function_after_every_import() -> None:
    import importlib

    import triggerkit

    for module in ("triggerkit.descriptions", "triggerkit.cron", "triggerkit.validation"):
        importlib.import_module(module)
    from triggerkit import describe as again

    assert callable(again) and again is triggerkit.describe
    assert triggerkit.describe("@daily") == "every day at 00:00"


def test_the_issue_example() -> None:
    cron = Cron("*/15 9-17 * * mon-fri")
    assert cron.describe() == "every 15 minutes, from 09:00 to 17:59, Monday to Friday"
    assert cron.describe("zh") == "周一至周五 09:00 至 17:59 每 15 分钟"


def test_equal_schedules_read_the_same() -> None:
    a = Cron("0 9 * * 1-5").describe()
    assert a == Cron("0 9 * * mon-fri").describe() == Cron("0 9 * * 0-4", dialect="aps").describe()


def test_an_unknown_language_is_an_error() -> None:
    with pytest.raises(ValueError, match="lang"):
        describe("* * * * *", "fr")
    with pytest.raises(ValueError, match="lang"):
        describe_masks(Cron("* * * * *").masks, "de")


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ((0, 30), "step"),
        ((10, 44), "list"),
        ((5, 20, 35, 50), "step"),
        ((1, 2, 3), "range"),
        ((7,), "single"),
        (tuple(range(60)), "every"),
        ((1, 2, 9), "list"),
    ],
)
def test_shape_classifies_field_values(values: tuple[int, ...], kind: str) -> None:
    mask = sum(1 << v for v in values)
    assert shape(mask, 0, 59).kind == kind


def test_weekday_runs_wrap_across_sunday() -> None:
    fri_to_mon = 1 << 4 | 1 << 5 | 1 << 6 | 1 << 0
    assert weekday_runs(fri_to_mon) == [(4, 0)]
    assert weekday_runs(1 << 0 | 1 << 2) == [(0, 0), (2, 2)]


@settings(settings.get_profile("toolkit"), max_examples=300)
@given(
    case=st.sampled_from(["posix", "quartz", "aps"]).flatmap(
        lambda d: st.tuples(st.just(d), cron_expressions(d))
    )
)
def test_every_valid_expression_can_be_described(case: tuple[str, str]) -> None:
    dialect, expr = case
    for lang in ("en", "zh"):
        text = describe(expr, lang, dialect)
        assert text and text == text.strip() and "  " not in text
