"""Quartz/Camunda cron expressions: the next firing in the office's zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.runtime.cron import CronError, looks_like_cron, parse

TORONTO = "America/Toronto"


def test_weekdays_at_nine_skip_the_weekend():
    friday_ten = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)

    assert parse("0 0 9 * * MON-FRI").next_after(friday_ten, TORONTO) == datetime(
        2027, 1, 11, 14, 0, tzinfo=UTC
    )


def test_seven_fields_steps_and_quartz_day_numbers():
    cron = parse("30 */20 8-9 ? JAN 2,4 2027")  # Monday and Wednesday (1 = Sunday)
    moment = datetime(2027, 1, 4, 13, 40, 31, tzinfo=UTC)  # Monday 08:40:31 EST

    assert cron.next_after(moment, TORONTO) == datetime(2027, 1, 4, 14, 0, 30, tzinfo=UTC)
    assert cron.next_after(datetime(2027, 1, 4, 14, 40, 31, tzinfo=UTC), TORONTO) == datetime(
        2027, 1, 6, 13, 0, 30, tzinfo=UTC
    )


def test_a_time_skipped_by_daylight_saving_is_skipped():
    before = datetime(2027, 3, 14, 6, 0, tzinfo=UTC)  # 01:00 EST, the night clocks go forward

    assert parse("0 30 2 * * ?").next_after(before, TORONTO) == datetime(
        2027, 3, 15, 6, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "text", ["0 0 9 * *", "0 0 25 * * ?", "0 0 9 L * ?", "0 0 9 * * MON-FUN", "? 0 9 * * ?"]
)
def test_what_cannot_be_scheduled_is_refused(text):
    with pytest.raises(CronError):
        parse(text)


def test_iso_cycles_are_not_mistaken_for_cron():
    assert not looks_like_cron("R/PT1H")
    assert looks_like_cron("0 0 9 * * MON-FRI")
