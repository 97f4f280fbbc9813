"""The notification preferences form: a switch per notification type and channel (in the app,
push, webhook, email), named `<type>__<channel>`, when each type's emails go (at once, daily or
weekly digest), named `<type>__email_timing`, whether pushes and emails hide amounts, and the
quiet hours (`quiet_hours_start`, `quiet_hours_end`). The choices are saved by
notifications.delivery_settings.notification_choices_update; whether quiet hours make sense is
notifications.quiet_hours.quiet_hours_update's rule, not the form's."""

from dataclasses import dataclass
from datetime import time

from django import forms

from notifications.models import Channel, EmailTiming, Notification

PREFERENCE_HELP = {
    Notification.Type.BUDGET_THRESHOLD: "When spending reaches one of a budget's alert percentages.",
    Notification.Type.BUDGET_EXCEEDED: "When a budget is used up or overspent.",
    Notification.Type.LARGE_EXPENSE: "An expense far above your usual ones.",
    Notification.Type.INCOME_RECEIVED: "Each time income is recorded.",
    Notification.Type.EXPENSE_RECORDED: "A receipt for every expense (off unless you want it).",
    Notification.Type.GOAL_MILESTONE: "When a goal passes 25 %, 50 % and 75 %.",
    Notification.Type.GOAL_ACHIEVED: "When a goal reaches its target.",
    Notification.Type.GOAL_BEHIND: "When a goal with a date falls behind.",
    Notification.Type.BUDGET_INSIGHT: "Observations about your budgets from the assistant.",
    Notification.Type.SAVING_TIP: "Ideas to save more.",
    Notification.Type.GOAL_PROGRESS: "Updates on how your goals are going.",
    Notification.Type.SPENDING_ALERT: "Unusual spending patterns.",
    Notification.Type.ACTIVITY_REMINDER: "A nudge when you haven't recorded anything for a while.",
    Notification.Type.ANNOUNCEMENT: "News about Budget Pay from the people who run it.",
    Notification.Type.DELIVERY_PROBLEM: "When one of your webhooks or devices stops receiving notifications.",
}

# The matrix's column headings, and the channel's name in each checkbox's label
# ("Budget exceeded: push"), which is what a screen reader says for the box.
CHANNEL_HEADINGS = {Channel.IN_APP: "In app", Channel.PUSH: "Push", Channel.WEBHOOK: "Webhook", Channel.EMAIL: "Email"}
CHANNEL_NAMES = {Channel.IN_APP: "in app", Channel.PUSH: "push", Channel.WEBHOOK: "webhook", Channel.EMAIL: "email"}
TIMING_HEADING = "Email when"
TIMING_CHOICES = [
    (EmailTiming.IMMEDIATE, "At once"),
    (EmailTiming.DAILY, "Daily digest"),
    (EmailTiming.WEEKLY, "Weekly digest"),
]


QUIET_HOURS_FIELDS = ("quiet_hours_start", "quiet_hours_end")
WALL_TIME_MESSAGE = "Enter a 24-hour time as HH:MM, for example 22:00 or 07:30."
# "HH:MM", or "HH:MM:SS" from a browser whose time input shows seconds: longer is not parsed.
WALL_TIME_MAX_CHARS = 8


class WallTimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


class WallTimeField(forms.TimeField):
    """A local time of day as the browser's time input sends it ("22:00"); empty: None."""

    widget = WallTimeInput
    input_formats = ["%H:%M", "%H:%M:%S"]
    default_error_messages = {"invalid": WALL_TIME_MESSAGE}

    def to_python(self, value: object) -> time | None:
        if isinstance(value, str) and len(value.strip()) > WALL_TIME_MAX_CHARS:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        parsed = super().to_python(value)
        return parsed.replace(second=0) if parsed is not None else None


def matrix_field_name(type: str, channel: str) -> str:
    return f"{type}__{channel}"


def timing_field_name(type: str) -> str:
    return f"{type}__email_timing"


@dataclass(frozen=True)
class MatrixRow:
    type: str
    label: str
    help: str
    cells: list[forms.BoundField]
    timing: forms.BoundField


class NotificationPreferencesForm(forms.Form):
    """One checkbox per notification type and channel, when each type's emails go, the
    options that hide amounts, and the quiet hours."""

    push_hides_amounts = forms.BooleanField(
        required=False,
        label="Hide amounts in pushes (lock screens)",
        help_text="Pushes say what happened without the amounts; open Budget Pay to see them.",
    )
    email_hides_amounts = forms.BooleanField(
        required=False,
        label="Hide amounts in emails",
        help_text="Emails say what happened without the amounts; open Budget Pay to see them.",
    )
    # Not required: both empty turns quiet hours off, and a page from before them keeps them.
    quiet_hours_start = WallTimeField(required=False, label="Start")
    quiet_hours_end = WallTimeField(required=False, label="End")

    def __init__(
        self,
        *args,
        matrix: dict[str, dict[str, bool]],
        email_timing: dict[str, str],
        push_hides_amounts: bool,
        email_hides_amounts: bool,
        quiet_hours: tuple[time | None, time | None] = (None, None),
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["push_hides_amounts"].initial = push_hides_amounts
        self.fields["email_hides_amounts"].initial = email_hides_amounts
        for name, saved in zip(QUIET_HOURS_FIELDS, quiet_hours, strict=True):
            self.fields[name].initial = saved
        for type, label in Notification.Type.choices:
            for channel in Channel.values:
                self.fields[matrix_field_name(type, channel)] = forms.BooleanField(
                    required=False, label=f"{label}: {CHANNEL_NAMES[channel]}", initial=matrix[type][channel]
                )
            # Not required: a page from before this column, or a client that leaves it out, keeps the choice.
            self.fields[timing_field_name(type)] = forms.ChoiceField(
                choices=TIMING_CHOICES, required=False, label=f"{label}: email when", initial=email_timing[type]
            )

    def headings(self) -> list[str]:
        return [CHANNEL_HEADINGS[channel] for channel in Channel.values] + [TIMING_HEADING]

    def rows(self) -> list[MatrixRow]:
        """The matrix as the page shows it: a row per type, a cell per channel, then the email's timing."""
        return [
            MatrixRow(
                type=type,
                label=label,
                help=PREFERENCE_HELP.get(type, ""),
                cells=[self[matrix_field_name(type, channel)] for channel in Channel.values],
                timing=self[timing_field_name(type)],
            )
            for type, label in Notification.Type.choices
        ]

    def matrix_changes(self, matrix: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
        """The cells that differ from `matrix` (the person's choices before this form)."""
        changes: dict[str, dict[str, bool]] = {}
        for type in Notification.Type.values:
            for channel in Channel.values:
                enabled = self.cleaned_data[matrix_field_name(type, channel)]
                if matrix[type][channel] != enabled:
                    changes.setdefault(type, {})[channel] = enabled
        return changes

    def timing_changes(self, email_timing: dict[str, str]) -> dict[str, str]:
        """The email timings that differ from `email_timing` (a timing left out is kept)."""
        changes: dict[str, str] = {}
        for type in Notification.Type.values:
            timing = self.cleaned_data[timing_field_name(type)]
            if timing and timing != email_timing[type]:
                changes[type] = timing
        return changes

    def quiet_hours_change(
        self, quiet_hours: tuple[time | None, time | None]
    ) -> tuple[time | None, time | None] | None:
        """The (start, end) to save when they differ from `quiet_hours` (the saved ones), else
        None. A field left out of the post (a page from before quiet hours) keeps its saved
        time, as a left-out email timing does; a field sent empty is cleared."""
        chosen = tuple(
            self.cleaned_data[name] if name in self.data else saved
            for name, saved in zip(QUIET_HOURS_FIELDS, quiet_hours, strict=True)
        )
        return None if chosen == tuple(quiet_hours) else chosen

    def quiet_hours_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in QUIET_HOURS_FIELDS]
