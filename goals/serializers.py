from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from budgetpay.fields import choice_field, local_date_field, money_field, percent_field
from budgetpay.money import MoneyField
from goals.models import Goal, GoalEntry
from goals.selectors import MONTHS_PER_PERIOD, GoalStatus, goal_progress
from transactions.models import Account
from transactions.serializers import PeriodReportSerializer


class UserAccountField(serializers.PrimaryKeyRelatedField):
    """An account of the requesting user; anyone else's id is refused as not existing."""

    def get_queryset(self):
        return Account.objects.filter(user=self.context["request"].user)


class GoalProgressSerializer(serializers.Serializer):
    saved = money_field(help_text="Contributions minus withdrawals.")
    percent = percent_field(help_text="saved / target_amount; may exceed 100.")
    remaining = money_field(help_text="Left to save; never negative.")
    expected_saved = money_field(
        allow_null=True, help_text="Saved by today on a straight line from the creation day to the target date."
    )
    days_left = serializers.IntegerField(allow_null=True, help_text="Today to the target date, both included.")
    required_per_week = money_field(allow_null=True, help_text="To finish on time; null without a target date.")
    required_per_month = money_field(allow_null=True)
    status = serializers.ChoiceField(choices=GoalStatus.CHOICES)


class GoalSerializer(serializers.ModelSerializer):
    # The platform's money field, not the model's DecimalField, which would take "1e3" and "０１２".
    target_amount = MoneyField(positive=True, help_text="A plain decimal such as 1000.00.")
    target_date = local_date_field(required=False, allow_null=True)
    account = UserAccountField(allow_null=True, default=None, help_text="One of your accounts, e.g. a savings account.")
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Goal
        fields = ("id", "name", "target_amount", "target_date", "account", "created_at", "progress")
        read_only_fields = ("id", "created_at")

    @extend_schema_field(GoalProgressSerializer)
    def get_progress(self, goal: Goal) -> dict:
        return GoalProgressSerializer(goal_progress(goal=goal, today=self.context["today"])).data


class GoalEntrySerializer(serializers.ModelSerializer):
    goal = serializers.IntegerField(source="goal_id", read_only=True)
    kind = choice_field(GoalEntry.Kind.values, "kind", default=GoalEntry.Kind.CONTRIBUTION)
    amount = MoneyField(positive=True, help_text="Above zero; the kind says which way the money goes.")
    date = local_date_field(required=False, help_text="Defaults to today in your timezone.")

    class Meta:
        model = GoalEntry
        fields = ("id", "goal", "kind", "amount", "date", "note", "created_at")
        read_only_fields = ("id", "created_at")


class SavingsQuerySerializer(serializers.Serializer):
    period = choice_field(list(MONTHS_PER_PERIOD), "period", default="monthly")
    date = local_date_field(required=False, help_text="YYYY-MM-DD; defaults to today in your timezone.")


class GoalsSavedSerializer(serializers.Serializer):
    saved = money_field(source="goals_saved", help_text="Goal contributions minus withdrawals dated in the period.")
    percent_of_target = percent_field(source="goals_percent", allow_null=True)


class CashflowSavedSerializer(serializers.Serializer):
    income = money_field(source="cashflow.income")
    spending = money_field(source="cashflow.spending")
    net = money_field(source="cashflow.net", help_text="Income minus spending in the period.")
    percent_of_target = percent_field(source="net_percent", allow_null=True)


class SavingsProgressSerializer(PeriodReportSerializer):
    monthly_target = money_field(
        help_text="Sum of required_per_month over unachieved goals with a target date, as of today."
    )
    target = money_field(help_text="The monthly target expressed for this period.")
    goals = GoalsSavedSerializer(source="*")
    cashflow = CashflowSavedSerializer(source="*")
