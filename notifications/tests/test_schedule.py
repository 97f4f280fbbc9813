"""Alerts at the right local time (issue 17): the 15-minute tick picks each person up once per
local date when their morning begins (half- and quarter-hour zones, both sides of the date
line, daylight saving changes), and each scheduled alert fires once: the daily insight, a
goal's deadline, a budget's pace per period, the weekly summary on the person's Monday."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress

from budgetpay.testing.clock import Clock, freeze_now
from budgetpay.testing.factories import make_account, make_budget, make_category, make_goal, make_transaction
from notifications import schedule, tasks
from notifications.models import Channel, Delivery, Notification, ScheduledRun
from notifications.services import preference_matrix_update
from users.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ai_off")]

TICK = timedelta(minutes=15)
ZONES = (
    "Pacific/Honolulu",  # UTC-10
    "America/New_York",  # UTC-5 in November
    "UTC",
    "Asia/Kolkata",  # UTC+5:30
    "Asia/Kathmandu",  # UTC+5:45
    "Australia/Adelaide",  # UTC+10:30 in November (+9:30 in winter)
    "Pacific/Tongatapu",  # UTC+13
    "Pacific/Kiritimati",  # UTC+14
)


def person(zone: str, name: str = "") -> User:
    email = f"{name or zone.replace('/', '.').lower()}@example.com"
    return User.objects.create_user(email=email, password=None, timezone=zone)


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


def walk(clock: Clock, *, until: datetime) -> None:
    """The schedule as beat runs it: a tick every 15 minutes from the clock's time to `until`."""
    while clock.now < until:
        tasks.morning_tick()
        clock.move_to(clock.now + TICK)


def runs_of(user: User) -> list[tuple[date, datetime]]:
    """Each morning run of `user`: its local date and when (UTC) it was claimed."""
    rows = ScheduledRun.objects.filter(user=user, kind="morning").order_by("local_date")
    return [(run.local_date, run.created_at.astimezone(UTC)) for run in rows]


def of_type(type: str):
    return Notification.objects.filter(type=type)


def morning_at(clock: Clock, user: User, moment: datetime) -> list[Notification] | None:
    """`user`'s morning run with the clock at `moment`."""
    clock.move_to(moment)
    return schedule.morning_run(user_id=user.pk, now=moment)


# --- Who is due, and when ---------------------------------------------------------------


def test_two_days_of_ticks_run_each_morning_once_at_seven_local_in_every_zone(settings, monkeypatch):
    """Ticks every 15 minutes from Monday 9 November 2026 12:00 UTC for two days. Every zone's
    offset is a multiple of 15 minutes, so each morning is claimed by the tick at exactly 07:00
    local, once per local date; Honolulu's and Kiritimati's 07:00 are the same instant, a date
    apart, and only Honolulu's is a Monday (the weekly summary)."""
    settings.JOBS_INLINE = True
    people = {zone: person(zone) for zone in ZONES}
    clock = freeze_now(monkeypatch, datetime(2026, 11, 9, 12, 0, tzinfo=UTC))

    walk(clock, until=datetime(2026, 11, 11, 12, 0, tzinfo=UTC))

    def utc(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 11, day, hour, minute, tzinfo=UTC)

    assert {zone: runs_of(people[zone]) for zone in ZONES} == {
        "Pacific/Honolulu": [(date(2026, 11, 9), utc(9, 17)), (date(2026, 11, 10), utc(10, 17))],
        "America/New_York": [(date(2026, 11, 9), utc(9, 12)), (date(2026, 11, 10), utc(10, 12))],
        "UTC": [(date(2026, 11, 10), utc(10, 7)), (date(2026, 11, 11), utc(11, 7))],
        "Asia/Kolkata": [(date(2026, 11, 10), utc(10, 1, 30)), (date(2026, 11, 11), utc(11, 1, 30))],
        "Asia/Kathmandu": [(date(2026, 11, 10), utc(10, 1, 15)), (date(2026, 11, 11), utc(11, 1, 15))],
        "Australia/Adelaide": [(date(2026, 11, 10), utc(9, 20, 30)), (date(2026, 11, 11), utc(10, 20, 30))],
        "Pacific/Tongatapu": [(date(2026, 11, 10), utc(9, 18)), (date(2026, 11, 11), utc(10, 18))],
        "Pacific/Kiritimati": [(date(2026, 11, 10), utc(9, 17)), (date(2026, 11, 11), utc(10, 17))],
    }
    # The daily insight went out with each run, keyed on the person's own date.
    for zone, user in people.items():
        keys = set(
            Notification.objects.filter(user=user, dedupe_key__startswith="daily-insight:").values_list(
                "dedupe_key", flat=True
            )
        )
        assert keys == {f"daily-insight:{day.isoformat()}" for day, _ in runs_of(user)}, zone
    summaries = of_type(Notification.Type.WEEKLY_SUMMARY)
    assert sorted((n.user.timezone, n.data["week_start"]) for n in summaries) == [
        ("America/New_York", "2026-11-02"),
        ("Pacific/Honolulu", "2026-11-02"),
    ]


@pytest.mark.parametrize(
    ("zone", "start", "end", "mornings"),
    [
        # Spring forward (02:00 → 03:00 on Sunday 8 March): 07:00 is 12:00 UTC, then 11:00 UTC.
        (
            "America/New_York",
            datetime(2026, 3, 7, 0, 0, tzinfo=UTC),
            datetime(2026, 3, 10, 0, 0, tzinfo=UTC),
            [(date(2026, 3, 7), (12, 0)), (date(2026, 3, 8), (11, 0)), (date(2026, 3, 9), (11, 0))],
        ),
        # Fall back (02:00 → 01:00 on Sunday 1 November): the hour repeated is before the morning.
        (
            "America/New_York",
            datetime(2026, 10, 31, 0, 0, tzinfo=UTC),
            datetime(2026, 11, 3, 0, 0, tzinfo=UTC),
            [(date(2026, 10, 31), (11, 0)), (date(2026, 11, 1), (12, 0)), (date(2026, 11, 2), (12, 0))],
        ),
        # Adelaide leaves daylight saving on Sunday 5 April (+10:30 → +9:30) ...
        (
            "Australia/Adelaide",
            datetime(2026, 4, 3, 12, 0, tzinfo=UTC),
            datetime(2026, 4, 6, 12, 0, tzinfo=UTC),
            [(date(2026, 4, 4), (20, 30)), (date(2026, 4, 5), (21, 30)), (date(2026, 4, 6), (21, 30))],
        ),
        # ... and enters it on Sunday 4 October (+9:30 → +10:30).
        (
            "Australia/Adelaide",
            datetime(2026, 10, 2, 12, 0, tzinfo=UTC),
            datetime(2026, 10, 5, 12, 0, tzinfo=UTC),
            [(date(2026, 10, 3), (21, 30)), (date(2026, 10, 4), (20, 30)), (date(2026, 10, 5), (20, 30))],
        ),
    ],
)
def test_across_a_daylight_saving_change_each_local_day_has_one_morning_at_seven(
    settings, monkeypatch, zone, start, end, mornings
):
    settings.JOBS_INLINE = True
    user = person(zone)
    clock = freeze_now(monkeypatch, start)

    walk(clock, until=end)

    # Each claimed on the UTC day before the local date in Adelaide, on the same one in New York.
    claimed = [(day, (at.hour, at.minute)) for day, at in runs_of(user)]
    assert claimed == mornings
    assert {at.astimezone(ZoneInfo(zone)).time() for _, at in runs_of(user)} == {time(7, 0)}
    assert of_type(Notification.Type.ACTIVITY_REMINDER).filter(user=user).count() == len(mornings)


def test_a_missed_tick_catches_up_until_the_window_closes(monkeypatch):
    kolkata = person("Asia/Kolkata")
    kathmandu = person("Asia/Kathmandu")
    late = datetime(2026, 11, 10, 10, 45, tzinfo=ZoneInfo("Asia/Kolkata"))  # 11:00 in Kathmandu
    freeze_now(monkeypatch, late)

    # Kolkata's 07:00 tick never ran: at 10:45 its morning is still due; Kathmandu's window closed.
    assert schedule.morning_due(now=late) == [kolkata.pk]
    assert tasks.morning_chunk([kolkata.pk]) == (1, 0)
    assert schedule.morning_due(now=late) == []
    assert schedule.morning_due(now=late + TICK) == []
    assert not ScheduledRun.objects.filter(user=kathmandu).exists()
    # The next day's morning is due again at its 07:00.
    next_morning = local("Asia/Kathmandu", 2026, 11, 11, 7, 0)
    assert schedule.morning_due(now=next_morning) == [kathmandu.pk]
    assert schedule.morning_due(now=next_morning - timedelta(minutes=1)) == []


def test_the_morning_hour_is_a_setting_and_inactive_people_are_never_due(settings):
    settings.MORNING_HOUR = 9
    berlin = person("Europe/Berlin")
    gone = person("Europe/Paris")
    User.objects.filter(pk=gone.pk).update(is_active=False)

    assert schedule.morning_due(now=local("Europe/Berlin", 2026, 11, 10, 8, 45)) == []
    assert schedule.morning_due(now=local("Europe/Berlin", 2026, 11, 10, 9, 0)) == [berlin.pk]
    assert schedule.morning_due(now=local("Europe/Berlin", 2026, 11, 10, 12, 59)) == [berlin.pk]
    assert schedule.morning_due(now=local("Europe/Berlin", 2026, 11, 10, 13, 0)) == []


# --- Once, however often it runs ---------------------------------------------------------


@pytest.fixture
def busy_morning(monkeypatch) -> tuple[User, Clock]:
    """Someone in Adelaide on Monday 16 November 2026, 07:00: a goal due in 14 days and short, a
    budget on course to be passed, last week's spending. Every scheduled alert is due."""
    user = person("Australia/Adelaide")
    clock = freeze_now(monkeypatch, local("Australia/Adelaide", 2026, 11, 16, 7, 0))
    account = make_account(user)
    groceries = make_category(user, name="Groceries")
    make_budget(user, name="Groceries", category=groceries, amount="200.00", start_date=date(2026, 11, 1))
    for day in range(1, 16):
        make_transaction(account, amount="10.00", category=groceries, on=date(2026, 11, day))
    make_goal(
        user,
        name="Holiday fund",
        target="1000.00",
        target_date=date(2026, 11, 30),
        entries=(("contribution", "880.00", date(2026, 11, 2)),),
    )
    return user, clock


SCHEDULED = (
    Notification.Type.GOAL_DEADLINE,
    Notification.Type.BUDGET_PACE,
    Notification.Type.WEEKLY_SUMMARY,
)


def scheduled_counts(user: User) -> dict[str, int]:
    counts = {kind: of_type(kind).filter(user=user).count() for kind in SCHEDULED}
    counts["daily_insight"] = Notification.objects.filter(user=user, dedupe_key__startswith="daily-insight:").count()
    return counts


def test_ticking_twice_sends_each_alert_once(settings, busy_morning):
    settings.JOBS_INLINE = True
    user, _ = busy_morning

    assert tasks.morning_tick() == [1]
    assert tasks.morning_tick() == []

    assert scheduled_counts(user) == dict.fromkeys((*SCHEDULED, "daily_insight"), 1)
    assert runs_of(user) == [(date(2026, 11, 16), datetime(2026, 11, 15, 20, 30, tzinfo=UTC))]


def test_a_run_queued_twice_sends_once(busy_morning):
    """Two ticks before any chunk ran (a slow worker): both name the person, the first run
    claims the date and the second finds it taken."""
    user, clock = busy_morning
    first, second = schedule.morning_due(now=clock.now), schedule.morning_due(now=clock.now + TICK)
    assert first == second == [user.pk]

    assert tasks.morning_chunk(first) == (1, 0)
    assert tasks.morning_chunk(second) == (0, 1)
    assert schedule.morning_run(user_id=user.pk, now=clock.now) is None

    assert scheduled_counts(user) == dict.fromkeys((*SCHEDULED, "daily_insight"), 1)


def test_the_next_mornings_send_none_of_them_again(busy_morning):
    user, clock = busy_morning
    monday = clock.now
    for day in range(3):
        assert morning_at(clock, user, monday + timedelta(days=day)) is not None

    counts = scheduled_counts(user)
    assert counts == {
        Notification.Type.GOAL_DEADLINE: 1,
        Notification.Type.BUDGET_PACE: 1,
        Notification.Type.WEEKLY_SUMMARY: 1,
        "daily_insight": 3,
    }


# --- What each alert says ------------------------------------------------------------------


def test_a_goal_deadline_is_told_once_fourteen_days_ahead(monkeypatch):
    user = person("Asia/Kathmandu")
    clock = freeze_now(monkeypatch, local("Asia/Kathmandu", 2026, 11, 10, 7, 0))
    contribution = (("contribution", "880.00", date(2026, 11, 1)),)
    make_goal(user, name="Holiday fund", target="1000.00", target_date=date(2026, 11, 24), entries=contribution)
    later = make_goal(user, name="Bike", target="500.00", target_date=date(2026, 11, 25))
    reached = (("contribution", "100.00", date(2026, 11, 1)),)
    make_goal(user, name="Reached", target="100.00", target_date=date(2026, 11, 12), entries=reached)
    make_goal(user, name="Someday", target="100.00")
    make_goal(user, name="Missed", target="100.00", target_date=date(2026, 11, 9))
    deadlines = of_type(Notification.Type.GOAL_DEADLINE)

    morning_at(clock, user, clock.now)

    notice = deadlines.get()
    assert notice.title == "Holiday fund is due in 14 days"
    assert notice.message == "Holiday fund is due in 14 days and is $120.00 short: $880.00 of $1,000.00 saved."
    assert notice.level == Notification.Level.WARNING
    assert notice.data == {
        "goal_id": notice.related_id,
        "target_date": "2026-11-24",
        "days_left": 14,
        "saved": "880.00",
        "target": "1000.00",
        "short": "120.00",
        "currency": "USD",
    }

    # The next morning the bike is 14 days away; the holiday fund is not told again.
    morning_at(clock, user, clock.now + timedelta(days=1))
    assert list(deadlines.order_by("id").values_list("title", flat=True)) == [
        "Holiday fund is due in 14 days",
        "Bike is due in 14 days",
    ]
    bike = deadlines.order_by("id").last()
    assert (bike.related_id, bike.data["short"]) == (later.pk, "500.00")

    morning_at(clock, user, clock.now + timedelta(days=1))
    assert deadlines.count() == 2


def test_budget_pace_is_told_once_per_budget_and_period(monkeypatch):
    """Groceries: 150.00 of 200.00 spent by the 20th, 7.50 a day, 225.00 by the end of
    November: 50.00 left lasts 6.7 days, so it is passed around the 27th. Dining runs below its
    amount; Travel is already over (its threshold alert said so): neither is a pace warning."""
    user = person("America/New_York")
    account = make_account(user)
    clock = freeze_now(monkeypatch, local("America/New_York", 2026, 11, 20, 7, 0))
    groceries, dining, travel = (make_category(user, name=name) for name in ("Groceries", "Dining", "Travel"))
    budget = make_budget(user, name="Groceries", category=groceries, amount="200.00", start_date=date(2026, 11, 1))
    make_budget(user, name="Dining", category=dining, amount="300.00", start_date=date(2026, 11, 1))
    make_budget(user, name="Travel", category=travel, amount="50.00", start_date=date(2026, 11, 1))
    for day in range(1, 16):
        make_transaction(account, amount="10.00", category=groceries, on=date(2026, 11, day))
    for day in range(1, 7):
        make_transaction(account, amount="10.00", category=dining, on=date(2026, 11, day))
        make_transaction(account, amount="10.00", category=travel, on=date(2026, 11, day))
    paces = of_type(Notification.Type.BUDGET_PACE)

    morning_at(clock, user, clock.now)

    notice = paces.get()
    assert notice.title == "At this pace you will pass Groceries around the 27th"
    assert notice.message == (
        "At this pace you will pass Groceries around the 27th: $150.00 of $200.00 spent so far, "
        "$225.00 by the end of the period."
    )
    assert notice.related_id == budget.pk
    assert notice.data == {
        "budget_id": budget.pk,
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "spent": "150.00",
        "available": "200.00",
        "projected": "225.00",
        "crossing_date": "2026-11-27",
        "currency": "USD",
    }

    # Still on course the next morning: not told again this period.
    make_transaction(account, amount="10.00", category=groceries, on=date(2026, 11, 21))
    morning_at(clock, user, clock.now + timedelta(days=1))
    assert paces.count() == 1

    # December's period starts afresh: 15 days of 10.00 by the 20th again.
    for day in range(1, 16):
        make_transaction(account, amount="10.00", category=groceries, on=date(2026, 12, day))
    morning_at(clock, user, local("America/New_York", 2026, 12, 20, 7, 0))
    assert [(n.data["period_start"], n.data["crossing_date"]) for n in paces.order_by("id")] == [
        ("2026-11-01", "2026-11-27"),
        ("2026-12-01", "2026-12-27"),
    ]


def test_no_pace_warning_in_a_periods_first_days(monkeypatch):
    user = person("UTC")
    freeze_now(monkeypatch, datetime(2026, 11, 2, 20, 0, tzinfo=UTC))
    account = make_account(user)
    food = make_category(user, name="Groceries")
    make_budget(user, name="Groceries", category=food, amount="200.00", start_date=date(2026, 11, 1))
    make_transaction(account, amount="40.00", category=food, on=date(2026, 11, 1))
    make_transaction(account, amount="40.00", category=food, on=date(2026, 11, 2))
    clock = freeze_now(monkeypatch, datetime(2026, 11, 3, 7, 0, tzinfo=UTC))

    morning_at(clock, user, datetime(2026, 11, 3, 7, 0, tzinfo=UTC))
    assert not of_type(Notification.Type.BUDGET_PACE).exists()
    # On the 4th the projection speaks: 80.00 in 4 days is 600.00 by the 30th.
    morning_at(clock, user, datetime(2026, 11, 4, 7, 0, tzinfo=UTC))
    assert of_type(Notification.Type.BUDGET_PACE).get().data["projected"] == "600.00"


def test_the_weekly_summary_is_last_weeks_in_the_persons_own_dates_on_their_monday(monkeypatch):
    """Kathmandu, Monday 16 November 2026 07:00 (01:15 UTC, still Sunday in much of the world).
    Last week is Monday 9 to Sunday 15: the Sunday before and today are outside it."""
    user = person("Asia/Kathmandu")
    monday = local("Asia/Kathmandu", 2026, 11, 16, 7, 0)
    clock = freeze_now(monkeypatch, monday - timedelta(days=1))
    account = make_account(user)
    groceries, dining, transport = (make_category(user, name=n) for n in ("Groceries", "Dining", "Transport"))
    salary = make_category(user, name="Salary", kind="income")
    make_transaction(account, amount="99.00", category=dining, on=date(2026, 11, 8))
    make_transaction(account, amount="40.25", category=groceries, on=date(2026, 11, 9))
    make_transaction(account, amount="2500.00", category=salary, kind="income", on=date(2026, 11, 10))
    make_transaction(account, amount="15.50", category=dining, on=date(2026, 11, 11))
    make_transaction(account, amount="30.00", category=groceries, on=date(2026, 11, 15))
    make_transaction(account, amount="12.00", category=transport, on=date(2026, 11, 16))
    dining_budget = make_budget(user, name="Dining", category=dining, amount="150.00", start_date=date(2026, 11, 1))
    groceries_budget = make_budget(
        user, name="Groceries", category=groceries, amount="300.00", start_date=date(2026, 11, 1)
    )
    make_budget(user, name="Weekly fun", amount="50.00", period="weekly", start_date=date(2026, 11, 1))
    summaries = of_type(Notification.Type.WEEKLY_SUMMARY)

    # Sunday's morning has no summary; Monday's has one.
    morning_at(clock, user, monday - timedelta(days=1))
    assert not summaries.exists()
    morning_at(clock, user, monday)

    summary = summaries.get()
    assert summary.title == "Your week: $85.75 spent"
    assert summary.message == (
        "From Mon 9 Nov to Sun 15 Nov you spent $85.75. Most went on Groceries: $70.25. "
        "Left this month: Dining $35.50, Groceries $229.75."
    )
    assert summary.data == {
        "week_start": "2026-11-09",
        "week_end": "2026-11-15",
        "spending": "85.75",
        "top_category": {"name": "Groceries", "spending": "70.25"},
        "monthly_budgets": [
            {"budget_id": dining_budget.pk, "name": "Dining", "remaining": "35.50"},
            {"budget_id": groceries_budget.pk, "name": "Groceries", "remaining": "229.75"},
        ],
        "currency": "USD",
    }

    # Tuesday: nothing; the next Monday: the next week's.
    morning_at(clock, user, monday + timedelta(days=1))
    morning_at(clock, user, monday + timedelta(days=7))
    assert [(n.data["week_start"], n.data["spending"]) for n in summaries.order_by("id")] == [
        ("2026-11-09", "85.75"),
        ("2026-11-16", "12.00"),
    ]


def test_a_muted_type_is_not_sent_and_the_run_still_counts(busy_morning):
    """Every alert goes through notify(): a type off on every channel is not stored."""
    user, clock = busy_morning
    preference_matrix_update(
        user=user, changes={Notification.Type.WEEKLY_SUMMARY: dict.fromkeys(Channel.values, False)}
    )
    schedule.morning_run(user_id=user.pk, now=clock.now)
    assert scheduled_counts(user) == {
        Notification.Type.GOAL_DEADLINE: 1,
        Notification.Type.BUDGET_PACE: 1,
        Notification.Type.WEEKLY_SUMMARY: 0,
        "daily_insight": 1,
    }


# --- The jobs ----------------------------------------------------------------------------


def test_the_tick_hands_the_people_due_to_chunk_jobs(settings, monkeypatch, enqueued):
    settings.JOBS_INLINE = True
    settings.MORNING_CHUNK_SIZE = 2
    due = [person("Asia/Kolkata", name=f"kolkata{i}") for i in range(5)]
    person("Europe/London")  # 01:30 there: not due
    freeze_now(monkeypatch, local("Asia/Kolkata", 2026, 11, 10, 7, 0))

    assert tasks.morning_tick() == [2, 2, 1]

    chunks = [args[0] for name, args in enqueued if name == "notifications.tasks.morning_chunk"]
    assert chunks == [[due[0].pk, due[1].pk], [due[2].pk, due[3].pk], [due[4].pk]]
    assert ScheduledRun.objects.filter(local_date=date(2026, 11, 10)).count() == 5

    enqueued.clear()
    assert tasks.morning_tick() == []
    assert enqueued == []


def test_the_schedule_runs_the_tick_every_15_minutes_instead_of_the_hourly_insights(settings):
    entries = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert entries["notifications.tasks.morning_tick"] == 900.0
    assert "notifications.tasks.daily_insights_fan_out" not in entries


def test_one_persons_failure_does_not_stop_the_others(monkeypatch, caplog):
    broken = person("UTC", name="broken")
    fine = person("UTC", name="fine")
    # A zone that no longer exists (written past the validators): this person's run fails.
    User.objects.filter(pk=broken.pk).update(timezone="Mars/Olympus_Mons")
    morning = datetime(2026, 11, 10, 7, 0, tzinfo=UTC)
    freeze_now(monkeypatch, morning)

    assert schedule.morning_due(now=morning) == [fine.pk]  # the unknown zone is logged and left out
    assert tasks.morning_chunk([broken.pk, fine.pk]) == (1, 1)
    assert runs_of(fine) == [(date(2026, 11, 10), morning)]
    assert not ScheduledRun.objects.filter(user=broken).exists()
    assert f"the morning run of user {broken.pk} failed" in caplog.text
    assert "Mars/Olympus_Mons" in caplog.text


def test_the_morning_mails_the_daily_digest_and_on_mondays_the_weekly_one(busy_morning, smtp):
    """Through the real email channel to a local mail server: Monday's morning sends the daily
    digest (the insight and the day's alerts) and the weekly one (the summary); Tuesday's only
    the daily one; a second run of a morning mails nothing."""
    user, clock = busy_morning
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)

    monday = clock.now
    morning_at(clock, user, monday)
    morning_at(clock, user, monday)  # the same morning again: already done
    mails = smtp.wait_for(2)
    summary = of_type(Notification.Type.WEEKLY_SUMMARY).get(user=user)
    insight = Notification.objects.get(user=user, dedupe_key="daily-insight:2026-11-16")
    by_subject = {mail.message["Subject"]: mail for mail in mails}
    assert len(by_subject) == 2, list(by_subject)
    weekly = next(mail for mail in mails if summary.title in mail.part("text/plain"))
    daily = next(mail for mail in mails if mail is not weekly)
    daily_text = daily.part("text/plain")
    assert insight.title in daily_text and summary.title not in daily_text
    for warning in (Notification.Type.GOAL_DEADLINE, Notification.Type.BUDGET_PACE):  # the morning's warnings
        assert of_type(warning).get(user=user).title in daily_text
    assert all(mail.rcpt_tos == [user.email] for mail in mails)

    # Tuesday's insight is a reminder to record spending: in the app only, no digest.
    morning_at(clock, user, monday + timedelta(days=1))
    assert Notification.objects.get(user=user, dedupe_key="daily-insight:2026-11-17").type == "activity_reminder"
    assert len(smtp.messages) == 2  # digests are sent within the run, before it returns
    assert Delivery.objects.filter(user=user, channel=Channel.EMAIL, state=Delivery.State.PENDING).count() == 0
