"""Business-calendar rules for service-standard deadlines; fixed dates only, no real clock."""

from __future__ import annotations

import json
import os
import time as time_module
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.deadlines import calendar as calendar_module
from engine.deadlines.calendar import (
    CalendarConfigError,
    OfficeCalendar,
    default_calendar,
    load_calendars,
)

TORONTO = ZoneInfo("America/Toronto")

ONTARIO_2027 = {
    date(2027, 1, 1): "New Year's Day",
    date(2027, 2, 15): "Family Day",
    date(2027, 3, 26): "Good Friday",
    date(2027, 5, 24): "Victoria Day",
    date(2027, 7, 1): "Canada Day",
    date(2027, 9, 6): "Labour Day",
    date(2027, 10, 11): "Thanksgiving Day",
    date(2027, 12, 25): "Christmas Day",
    date(2027, 12, 26): "Boxing Day",
}


def toronto(*args: int) -> datetime:
    return datetime(*args, tzinfo=TORONTO)


def in_toronto(moment: datetime) -> datetime:
    assert moment.tzinfo is UTC
    return moment.astimezone(TORONTO)


def test_all_nine_ontario_public_holidays_2027_are_closed() -> None:
    cal = default_calendar()
    found = cal.holidays_in(2027)
    for day, name in ONTARIO_2027.items():
        assert found[day] == name
        assert not cal.is_business_day(day)
    # Christmas (Sat) and Boxing Day (Sun) 2027 are observed on Mon 27 and Tue 28.
    observed = {d: n for d, n in found.items() if d not in ONTARIO_2027}
    assert observed == {
        date(2027, 12, 27): "Christmas Day (observed)",
        date(2027, 12, 28): "Boxing Day (observed)",
    }
    assert not cal.is_business_day(date(2027, 12, 27))
    assert not cal.is_business_day(date(2027, 12, 28))
    assert cal.is_business_day(date(2027, 12, 29))


def test_optional_holidays_close_only_when_configured() -> None:
    easter_monday, civic, remembrance = date(2027, 3, 29), date(2027, 8, 2), date(2027, 11, 11)
    plain = default_calendar()
    assert all(plain.is_business_day(d) for d in (easter_monday, civic, remembrance))

    sudbury = OfficeCalendar("sudbury", optional_holidays=("Easter Monday", "Civic Holiday"))
    assert not sudbury.is_business_day(easter_monday)
    assert not sudbury.is_business_day(civic)
    assert sudbury.is_business_day(remembrance)
    assert sudbury.holidays_in(2027)[civic] == "Civic Holiday"


def test_unknown_optional_holiday_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="Civic holiday"):
        OfficeCalendar("typo", optional_holidays=("Civic holiday",))


def test_canada_day_on_weekend_is_observed_on_monday() -> None:
    # The holidays package gives no observed day for Canada Day in Ontario; offices still close.
    cal = default_calendar()
    assert cal.holidays_in(2028)[date(2028, 7, 3)] == "Canada Day (observed)"  # Sat -> Mon
    assert cal.holidays_in(2029)[date(2029, 7, 2)] == "Canada Day (observed)"  # Sun -> Mon
    assert not cal.is_business_day(date(2028, 7, 3))
    assert cal.is_business_day(date(2028, 7, 4))


def test_observed_days_are_not_doubled() -> None:
    cal = default_calendar()
    # New Year's Day 2028 is a Saturday; the package already observes it on Mon Jan 3.
    assert not cal.is_business_day(date(2028, 1, 3))
    assert cal.is_business_day(date(2028, 1, 4))
    # Remembrance Day 2028 (Sat) moves to Mon Nov 13 only for offices that close on it.
    assert cal.is_business_day(date(2028, 11, 13))
    closes = OfficeCalendar("x", optional_holidays=("Remembrance Day",))
    assert not closes.is_business_day(date(2028, 11, 13))
    assert closes.is_business_day(date(2028, 11, 14))


def test_four_business_days_across_good_friday_2027() -> None:
    cal = default_calendar()
    assert cal.holidays_in(2027)[date(2027, 3, 26)] == "Good Friday"
    # Thu 25 -> (Fri 26 Good Friday, weekend) Mon 29, Tue 30, Wed 31, Thu Apr 1.
    due = cal.add_business_days(toronto(2027, 3, 25, 10, 0), 4)
    assert in_toronto(due) == toronto(2027, 4, 1, 10, 0)
    # An office that also closes Easter Monday loses Mon 29 too.
    easter = OfficeCalendar("x", optional_holidays=("Easter Monday",))
    assert in_toronto(easter.add_business_days(toronto(2027, 3, 25, 10, 0), 4)) == toronto(
        2027, 4, 2, 10, 0
    )


def test_four_business_days_across_christmas_and_new_year_2026() -> None:
    cal = default_calendar()
    found = cal.holidays_in(2026)
    assert found[date(2026, 12, 25)] == "Christmas Day"  # Friday
    assert found[date(2026, 12, 26)] == "Boxing Day"  # Saturday
    assert found[date(2026, 12, 28)] == "Boxing Day (observed)"  # Monday
    # Thu Dec 24 -> (25, weekend, 28 closed) Tue 29, Wed 30, Thu 31, (Jan 1, weekend) Mon Jan 4.
    due = cal.add_business_days(toronto(2026, 12, 24, 9, 0), 4)
    assert in_toronto(due) == toronto(2027, 1, 4, 9, 0)
    assert cal.business_days_between(date(2026, 12, 24), date(2027, 1, 4)) == 4


def test_business_days_skip_a_plain_weekend() -> None:
    cal = default_calendar()
    due = cal.add_business_days(toronto(2027, 1, 8, 15, 0), 1)  # Friday afternoon
    assert due == datetime(2027, 1, 11, 20, 0, tzinfo=UTC)  # Monday 15:00 EST
    assert due.tzinfo is UTC
    assert cal.add_business_days(toronto(2027, 1, 8, 15, 0), 0) == toronto(2027, 1, 8, 15, 0)


def test_clock_starts_at_next_opening_outside_business_hours() -> None:
    cal = default_calendar()
    # Saturday request: clock starts Mon 08:30, so 4 business days is Fri 08:30.
    assert in_toronto(cal.add_business_days(toronto(2027, 1, 9, 11, 0), 4)) == toronto(
        2027, 1, 15, 8, 30
    )
    # After closing Thursday: clock starts Friday 08:30, one business day is Monday 08:30.
    assert in_toronto(cal.add_business_days(toronto(2027, 1, 7, 17, 0), 1)) == toronto(
        2027, 1, 11, 8, 30
    )
    # Exactly at closing counts as after hours.
    assert in_toronto(cal.add_business_days(toronto(2027, 1, 7, 16, 30), 0)) == toronto(
        2027, 1, 8, 8, 30
    )
    # Before opening on a business day: same day's opening.
    assert in_toronto(cal.add_business_days(toronto(2027, 1, 11, 7, 0), 0)) == toronto(
        2027, 1, 11, 8, 30
    )


def test_business_hours_cross_end_of_day_and_weekend() -> None:
    cal = default_calendar()
    # Thu 15:00 + 16h: 1.5h Thu, 8h Fri, 6.5h Mon -> Mon 15:00.
    due = cal.add_business_hours(toronto(2027, 1, 7, 15, 0), 16)
    assert in_toronto(due) == toronto(2027, 1, 11, 15, 0)
    # A full day of work from opening is due at closing the same day, not next morning.
    assert in_toronto(cal.add_business_hours(toronto(2027, 1, 11, 8, 30), 8)) == toronto(
        2027, 1, 11, 16, 30
    )
    # Fractional hours and a Sunday start.
    assert in_toronto(cal.add_business_hours(toronto(2027, 1, 10, 12, 0), 1.25)) == toronto(
        2027, 1, 11, 9, 45
    )


def test_business_hours_skip_holidays() -> None:
    cal = default_calendar()
    # Thu 2027-03-25 16:00 + 1h: 0.5h Thu, Good Friday + weekend skipped, 0.5h Mon.
    due = cal.add_business_hours(toronto(2027, 3, 25, 16, 0), 1)
    assert in_toronto(due) == toronto(2027, 3, 29, 9, 0)


def test_naive_datetimes_are_toronto_wall_time() -> None:
    cal = default_calendar()
    # Naive Fri 16:00 read as Toronto: 0.5h Fri + 0.5h Mon -> Mon 09:00 EST (14:00 UTC).
    # Read as UTC it would be Fri 11:00 Toronto and finish Friday at noon.
    due = cal.add_business_hours(datetime(2027, 1, 8, 16, 0), 1)
    assert due == datetime(2027, 1, 11, 14, 0, tzinfo=UTC)
    # Aware input in another zone is converted, not relabelled: Sun 03:00 UTC is Sat in Toronto.
    assert cal.add_business_days(datetime(2027, 1, 10, 3, 0, tzinfo=UTC), 0) == toronto(
        2027, 1, 11, 8, 30
    )
    assert cal.add_business_days(datetime(2027, 1, 8, 10, 0), 1) == cal.add_business_days(
        toronto(2027, 1, 8, 10, 0), 1
    )


@pytest.mark.skipif(not hasattr(time_module, "tzset"), reason="needs time.tzset")
def test_server_time_zone_is_ignored() -> None:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time_module.tzset()
    try:
        due = default_calendar().add_business_hours(datetime(2027, 1, 8, 16, 0), 1)
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time_module.tzset()
    assert due == datetime(2027, 1, 11, 14, 0, tzinfo=UTC)


def test_dst_start_keeps_local_time_of_day() -> None:
    cal = default_calendar()
    # Fri 2027-03-12 10:00 EST (15:00 UTC); clocks spring forward Sun 2027-03-14.
    due = cal.add_business_days(toronto(2027, 3, 12, 10, 0), 1)
    assert due == datetime(2027, 3, 15, 14, 0, tzinfo=UTC)  # Mon 10:00 EDT
    assert in_toronto(due).time() == time(10, 0)
    # Business hours across the change: 0.5h Fri + 0.5h Mon -> Mon 09:00 EDT.
    hours_due = cal.add_business_hours(toronto(2027, 3, 12, 16, 0), 1)
    assert hours_due == datetime(2027, 3, 15, 13, 0, tzinfo=UTC)


def test_dst_end_keeps_local_time_of_day() -> None:
    cal = default_calendar()
    # Clocks fall back Sun 2027-11-07; Fri 10:00 EDT -> Mon 10:00 EST (15:00 UTC).
    due = cal.add_business_days(toronto(2027, 11, 5, 10, 0), 1)
    assert due == datetime(2027, 11, 8, 15, 0, tzinfo=UTC)


def test_business_days_between_is_half_open_and_signed() -> None:
    cal = default_calendar()
    thu, next_thu = date(2027, 3, 25), date(2027, 4, 1)
    assert cal.business_days_between(thu, next_thu) == 4
    assert cal.business_days_between(next_thu, thu) == -4
    assert cal.business_days_between(thu, thu) == 0
    assert cal.business_days_between(date(2027, 1, 8), date(2027, 1, 10)) == 0  # Fri -> Sun
    start = toronto(2027, 3, 25, 10, 0)
    for n in range(8):
        due = in_toronto(cal.add_business_days(start, n)).date()
        assert cal.business_days_between(thu, due) == n


def test_office_closures_and_holidays_in() -> None:
    cal = OfficeCalendar("x", closures=frozenset({date(2027, 12, 24), date(2028, 12, 27)}))
    assert not cal.is_business_day(date(2027, 12, 24))
    assert cal.holidays_in(2027)[date(2027, 12, 24)] == "Office closure"
    assert date(2028, 12, 27) not in cal.holidays_in(2027)
    # Thu Dec 23 + 1 business day: Dec 24 closed, weekend, Dec 27/28 observed -> Wed Dec 29.
    due = cal.add_business_days(toronto(2027, 12, 23, 11, 0), 1)
    assert in_toronto(due) == toronto(2027, 12, 29, 11, 0)


def test_negative_amounts_are_rejected() -> None:
    cal = default_calendar()
    with pytest.raises(ValueError):
        cal.add_business_days(toronto(2027, 1, 8, 10, 0), -1)
    with pytest.raises(ValueError):
        cal.add_business_hours(toronto(2027, 1, 8, 10, 0), -0.5)


def test_holiday_objects_are_built_once_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    real = calendar_module.holidays.Canada
    built: list[int] = []

    def counting(*args: object, **kwargs: object) -> object:
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(calendar_module.holidays, "Canada", counting)
    calendar_module._ontario.cache_clear()
    calendar_module._closed_holidays.cache_clear()
    cal = default_calendar()
    for day in range(1, 29):
        cal.is_business_day(date(2031, 2, day))
    cal.holidays_in(2031)
    assert len(built) == 2  # one public and one optional lookup for 2031


def write_config(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "calendars.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_load_calendars_from_good_file(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        {
            "default": {"optional_holidays": ["Easter Monday"], "closures": ["2027-12-31"]},
            "offices": {
                "sudbury": {"optional_holidays": ["Civic Holiday"], "closures": ["2027-12-24"]},
                "ottawa": {"workday_start": "09:00", "workday_end": "17:00"},
            },
        },
    )
    cals = load_calendars(path)
    assert set(cals) == {"default", "sudbury", "ottawa"}
    sudbury, ottawa = cals["sudbury"], cals["ottawa"]
    assert sudbury.name == "sudbury"
    assert sudbury.optional_holidays == ("Civic Holiday",)  # replaces the default's list
    assert sudbury.closures == {date(2027, 12, 24), date(2027, 12, 31)}  # adds to the default's
    assert not sudbury.is_business_day(date(2027, 8, 2))
    assert sudbury.is_business_day(date(2027, 3, 29))
    assert ottawa.optional_holidays == ("Easter Monday",)
    assert (ottawa.workday_start, ottawa.workday_end) == (time(9, 0), time(17, 0))
    assert ottawa.timezone == "America/Toronto"
    assert not cals["default"].is_business_day(date(2027, 3, 29))


def test_load_calendars_without_file_gives_default() -> None:
    assert load_calendars(None) == {"default": default_calendar()}


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"office": {}}, "office"),
        ({"offices": {"sudbury": {"closure": ["2027-12-24"]}}}, "offices.sudbury.closure"),
        ({"offices": {"sudbury": {"closures": ["2027-13-01"]}}}, "2027-13-01"),
        ({"offices": {"sudbury": {"closures": "2027-12-24"}}}, "offices.sudbury.closures"),
        ({"default": {"optional_holidays": ["Civic holiday"]}}, "Civic holiday"),
        ({"default": {"timezone": "America/Sudbury"}}, "America/Sudbury"),
        ({"offices": {"ottawa": {"workday_start": "9am"}}}, "offices.ottawa.workday_start"),
        ({"offices": {"ottawa": {"workday_start": "18:00"}}}, "offices.ottawa"),
        ({"offices": {"default": {}}}, "offices.default"),
        ({"offices": ["sudbury"]}, "offices"),
    ],
)
def test_load_calendars_rejects_bad_config(tmp_path: Path, data: object, named: str) -> None:
    with pytest.raises(CalendarConfigError, match=named.replace(".", r"\.")):
        load_calendars(write_config(tmp_path, data))


def test_load_calendars_rejects_unreadable_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CalendarConfigError, match="broken.json"):
        load_calendars(broken)
    with pytest.raises(CalendarConfigError, match="missing.json"):
        load_calendars(tmp_path / "missing.json")
