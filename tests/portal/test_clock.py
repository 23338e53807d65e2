"""The clock a deployment is given: the system's, or one fixed by PORTAL_FIXED_NOW for benchmarks."""

from datetime import datetime

from portal import create_app
from portal.clock import FrozenClock, SystemClock, from_config


def test_no_fixed_moment_means_the_system_clock():
    assert isinstance(from_config(""), SystemClock)


def test_a_fixed_moment_is_read_as_utc_and_stays_put():
    clock = from_config("2026-11-02T10:00:00+01:00")
    assert isinstance(clock, FrozenClock)
    assert clock.now() == datetime(2026, 11, 2, 9, 0)
    assert clock.now() == datetime(2026, 11, 2, 9, 0)


def test_the_app_takes_its_clock_from_the_setting():
    app = create_app("testing", overrides={"PORTAL_FIXED_NOW": "2026-11-02T10:00:00"})
    assert app.extensions["clock"].now() == datetime(2026, 11, 2, 10, 0)
