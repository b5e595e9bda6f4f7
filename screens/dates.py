"""Date wording for the date pads: catalogue-driven, so both languages read naturally."""
from datetime import date


def format_date(tr, day: date, weekday: bool = True) -> str:
    """'2026年11月24日 星期二' / '2026-11-24 Tuesday' (without the weekday if asked)."""
    text = tr("ui.date.format", year=day.year, month=day.month, day=day.day,
              month2=f"{day.month:02d}", day2=f"{day.day:02d}")
    return f"{text} {weekday_name(tr, day)}" if weekday else text


def weekday_name(tr, day: date) -> str:
    return tr(f"ui.weekday.{day.weekday()}")


def relative_day(tr, day: date, today: date) -> str:
    """'今天' / '明天' / '3天后' relative to today, for people who do not count dates."""
    delta = (day - today).days
    if delta == 0:
        return tr("ui.date.today")
    if delta == 1:
        return tr("ui.date.tomorrow")
    if delta > 1:
        return tr("ui.date.in_days", days=delta)
    return tr("ui.date.days_ago", days=-delta)
