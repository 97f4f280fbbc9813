from rest_framework import serializers

from budgetpay.money import MoneyField
from budgets.fields import choice_field, local_date_field, money_field, percent_field
from budgets.models import Budget
from budgets.reports import MAX_CASHFLOW_DAYS, REPORT_PERIODS, default_cashflow_start
from budgets.selectors import Health, Pace
from transactions.models import Category


class UserCategoryField(serializers.PrimaryKeyRelatedField):
    """A category of the requesting user; anyone else's id is refused as not existing."""

    def get_queryset(self):
        return Category.objects.filter(user=self.context["request"].user)


class BudgetSerializer(serializers.ModelSerializer):
    category = UserCategoryField(allow_null=True, default=None, help_text="An expense category; null for all spending.")
    # The platform's money field, not the model's DecimalField, which would take "1e3" and "０１２".
    amount = MoneyField(positive=True, help_text="The limit per period, a plain decimal such as 400.00.")
    period = choice_field(Budget.Period.values, "period", default=Budget.Period.MONTHLY)
    start_date = local_date_field(required=False, help_text="Defaults to today in your timezone.")
    thresholds = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=1000),
        min_length=1,
        max_length=5,
        required=False,
        help_text="Percentages of the budget at which you are alerted, e.g. [80, 100]; stored ascending.",
    )

    class Meta:
        model = Budget
        fields = ("id", "name", "category", "amount", "period", "start_date", "rollover", "thresholds", "created_at")
        read_only_fields = ("id", "created_at")

    def validate_thresholds(self, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Each threshold may appear once.")
        return sorted(value)


class DateQuerySerializer(serializers.Serializer):
    date = local_date_field(required=False, help_text="YYYY-MM-DD; defaults to today in your timezone.")


class BudgetStatusSerializer(serializers.Serializer):
    budget_id = serializers.IntegerField(source="budget.pk")
    name = serializers.CharField(source="budget", help_text="The name, else the category name, else \"All spending\".")
    category = serializers.IntegerField(source="budget.category_id", allow_null=True)
    period = serializers.CharField(source="budget.period")
    date = serializers.DateField(source="on")
    period_start = serializers.DateField(source="period.start")
    period_end = serializers.DateField(source="period.end")
    currency = serializers.CharField(source="budget.user.currency")
    amount = money_field()
    rollover = money_field(help_text="Carried in from earlier periods; negative after overspending.")
    available = money_field(help_text="amount + rollover")
    spent = money_field()
    remaining = money_field(help_text="available - spent; negative when over.")
    percent_used = percent_field(allow_null=True, help_text="spent / available; null when nothing is available.")
    days_elapsed = serializers.IntegerField(help_text="Days of the period up to and including the date.")
    days_left = serializers.IntegerField(help_text="Days of the period from the date on, including it.")
    daily_allowance = money_field(help_text="remaining / days_left, never negative.")
    expected_spent = money_field(help_text="The even-spending line: available × days_elapsed / period days.")
    pace = serializers.ChoiceField(choices=Pace.CHOICES, help_text="ahead: spending faster than the line.")
    projected_spent = money_field(help_text="Spending at period end at the current rate.")
    thresholds_crossed = serializers.ListField(child=serializers.IntegerField())
    health = serializers.ChoiceField(choices=Health.CHOICES)


class BudgetStatusListSerializer(serializers.Serializer):
    date = serializers.DateField()
    results = BudgetStatusSerializer(many=True)


class BudgetHealthSerializer(serializers.Serializer):
    budget_id = serializers.IntegerField(source="budget.pk")
    period = serializers.CharField(source="budget.period")
    period_start = serializers.DateField(source="period.start")
    period_end = serializers.DateField(source="period.end")
    available = money_field()
    spent = money_field()
    remaining = money_field()
    percent_used = percent_field(allow_null=True)
    thresholds_crossed = serializers.ListField(child=serializers.IntegerField())
    health = serializers.ChoiceField(choices=Health.CHOICES)


class SummaryQuerySerializer(serializers.Serializer):
    period = choice_field(list(REPORT_PERIODS), "period", default="month")
    date = local_date_field(required=False, help_text="YYYY-MM-DD; defaults to today in your timezone.")


class TotalsSerializer(serializers.Serializer):
    income = money_field(source="totals.income")
    spending = money_field(source="totals.spending")
    net = money_field(source="totals.net")


class CategoryLineSerializer(serializers.Serializer):
    category = serializers.IntegerField(source="category_id", allow_null=True, help_text="null: uncategorised.")
    name = serializers.CharField()
    color = serializers.CharField(allow_null=True)
    spending = money_field()
    share = percent_field(allow_null=True, help_text="Percent of the period's spending.")
    budget = BudgetHealthSerializer(allow_null=True, help_text="This category's budget, if it has one.")


class DayTotalsSerializer(TotalsSerializer):
    date = serializers.DateField(source="day")
    net = None


class ComparisonSerializer(TotalsSerializer):
    start = serializers.DateField(source="period.start")
    end = serializers.DateField(source="period.end")
    income_change = percent_field(allow_null=True, help_text="Percent change; null when the previous is zero.")
    spending_change = percent_field(allow_null=True)
    net_change = percent_field(allow_null=True, help_text="Relative to the size of the previous net.")


class CurrencyTotalsSerializer(TotalsSerializer):
    currency = serializers.CharField()


class SummarySerializer(serializers.Serializer):
    period = serializers.CharField(source="period_kind")
    date = serializers.DateField(source="on")
    start = serializers.DateField(source="period.start")
    end = serializers.DateField(source="period.end")
    currency = serializers.CharField()
    income = money_field(source="totals.income")
    spending = money_field(source="totals.spending")
    net = money_field(source="totals.net")
    by_category = CategoryLineSerializer(
        many=True, help_text="Spending per category, largest first; the uncategorised line has category null."
    )
    top_categories = CategoryLineSerializer(many=True, help_text="The five categories with the most spending.")
    uncategorised_spending = money_field()
    days = DayTotalsSerializer(many=True, help_text="Every day of the period, zero-filled.")
    previous = ComparisonSerializer()
    other_currencies = CurrencyTotalsSerializer(
        many=True, help_text="Accounts in other currencies, per currency; never part of the figures above."
    )
    budget = BudgetHealthSerializer(allow_null=True, help_text="The all-spending budget, if there is one.")


class CashflowQuerySerializer(serializers.Serializer):
    granularity = choice_field(list(MAX_CASHFLOW_DAYS), "granularity", default="month")
    date_from = local_date_field(required=False, help_text="Defaults to a year of months, 12 weeks or 30 days.")
    date_to = local_date_field(required=False, help_text="Defaults to today in your timezone.")

    def validate(self, attrs: dict) -> dict:
        granularity = attrs["granularity"]
        date_to = attrs.get("date_to") or self.context["today"]
        date_from = attrs.get("date_from") or default_cashflow_start(granularity, date_to)
        if date_from > date_to:
            raise serializers.ValidationError({"date_from": ["date_from must not be after date_to."]})
        longest = MAX_CASHFLOW_DAYS[granularity]
        if (date_to - date_from).days + 1 > longest:
            raise serializers.ValidationError(
                {"date_from": [f"A cash flow by {granularity} covers at most {longest} days; shorten the range."]}
            )
        return {"granularity": granularity, "date_from": date_from, "date_to": date_to}


class BucketSerializer(TotalsSerializer):
    start = serializers.DateField()
    end = serializers.DateField()


class CashflowSerializer(serializers.Serializer):
    granularity = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    currency = serializers.CharField()
    results = BucketSerializer(many=True)
