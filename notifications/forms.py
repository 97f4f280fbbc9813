"""The notification preferences form: one switch per notification type. The choices are
saved by notifications.services.preferences_update."""

from django import forms

from notifications.models import Notification

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
}


class NotificationPreferencesForm(forms.Form):
    """One checkbox per notification type."""

    def __init__(self, *args, preferences: dict[str, bool], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for value, label in Notification.Type.choices:
            self.fields[value] = forms.BooleanField(
                required=False,
                label=label,
                initial=preferences.get(value, True),
                help_text=PREFERENCE_HELP.get(value, ""),
            )

    def changes(self, preferences: dict[str, bool]) -> dict[str, bool]:
        return {name: enabled for name, enabled in self.cleaned_data.items() if preferences.get(name) != enabled}
