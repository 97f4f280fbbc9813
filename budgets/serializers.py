from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from budgetpay.fields import choice_field, local_date_field, money_field, percent_field
from budgetpay.money import MoneyField
from budgets.models import HIGHEST_THRESHOLD, LOWEST_THRESHOLD, MAX_THRESHOLDS, MIN_THRESHOLDS, Budget
from budgets.reports import MAX_CASHFLOW_DAYS, REPORT_PERIODS, default_cashflow_start
from budgets.selectors import EARLY_DAYS, ONE_OFF_SHARE, Health, Pace, ProjectionState
from transactions.models import Category
from transactions.serializers import PeriodReportSerializer


class UserCategoryField(serializers.PrimaryKeyRelatedField):
    """A category of the requesting user; anyone else's id is refused as not existing."""

    def get_queryset(self):
        return Category.objects.filter(user=self.context["request"].user)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "integer", "minimum": LOWEST_THRESHOLD, "maximum": HIGHEST_THRESHOLD},
        "minItems": MIN_THRESHOLDS,
        "maxItems": MAX_THRESHOLDS,
    }
)
class ThresholdsField(serializers.ListField):
    """A list of whole numbers. The rule they keep (budgets.models.validate_thresholds) is
    the model's, which the service applies; the schema documents it from the same limits."""

    child = serializers.IntegerField()


class BudgetSerializer(serializers.ModelSerializer):
    category = UserCategoryField(allow_null=True, default=None, help_text="An expense category; null for all spending.")
    # The platform's money field, not the model's DecimalField, which would take "1e3" and "０１２".
    amount = MoneyField(positive=True, help_text="The limit per period, a plain decimal such as 400.00.")
    period = choice_field(Budget.Period.values, "period", default=Budget.Period.MONTHLY)
    start_date = local_date_field(required=False, help_text="Defaults to today in your timezone.")
    thresholds = ThresholdsField(
        required=False,
        help_text="Percentages of the budget at which you are alerted, e.g. [80, 100]; stored ascending.",
    )

    class Meta:
        model = Budget
        fields = ("id", "name", "category", "amount", "period", "start_date", "rollover", "thresholds", "created_at")
        read_only_fields = ("id", "created_at")


class DateQuerySerializer(serializers.Serializer):
    date = local_date_field(required=False, help_text="YYYY-MM-DD; defaults to today in your timezone.")


class BudgetStatusSerializer(serializers.Serializer):
    budget_id = serializers.IntegerField(source="budget.pk")
    name = serializers.CharField(source="budget", help_text='The name, else the category name, else "All spending".')
    category = serializers.IntegerField(source="budget.category_id", allow_null=True)
    period = serializers.CharField(source="budget.period")
    date = serializers.DateField(source="on")
    period_start = serializers.DateField(source="period.start")
    period_end = serializers.DateField(source="period.end")
    currency = serializers.CharField(source="budget.user.currency")
    budgeted = money_field(source="amount", help_text="The budget's amount for one period.")
    carried_over = money_field(
        source="rollover",
        help_text="With rollover: what earlier periods left (their available money minus their spending), "
        "negative when they were overspent; else 0.00.",
    )
    available = money_field(help_text="budgeted + carried_over: what this period may spend.")
    amount = money_field(help_text="The same as budgeted (the earlier name).")
    rollover = money_field(help_text="The same as carried_over (the earlier name).")
    spent = money_field()
    remaining = money_field(help_text="available - spent; negative when over.")
    percent_used = percent_field(allow_null=True, help_text="spent / available; null when nothing is available.")
    days_elapsed = serializers.IntegerField(help_text="Days of the period up to and including the date.")
    days_left = serializers.IntegerField(help_text="Days of the period from the date on, including it.")
    daily_allowance = money_field(help_text="remaining / days_left, never negative.")
    expected_spent = money_field(help_text="The even-spending line: available × days_elapsed / period days.")
    pace = serializers.ChoiceField(choices=Pace.CHOICES, help_text="ahead: spending faster than the line.")
    projection = serializers.ChoiceField(
        source="projection.state",
        choices=ProjectionState.CHOICES,
        help_text=f"early: in the period's first {EARLY_DAYS} days, nothing is projected (projected_spent and "
        "daily_pace are null); projected: projected_spent is fixed_spent + one_off_spent + scheduled_spent + "
        "daily_pace × the period's days.",
    )
    projected_spent = money_field(
        source="projection.spent",
        allow_null=True,
        help_text="Spending at the period's end: fixed payments, one-offs and scheduled spending counted once, "
        "the rest at its daily pace; null while projection is early.",
    )
    fixed_spent = money_field(
        source="projection.fixed",
        help_text="Spent in the period in categories marked is_fixed (rent), counted once by the projection.",
    )
    one_off_spent = money_field(
        source="projection.one_offs",
        help_text=f"Spent in the period in single other expenses of at least {ONE_OFF_SHARE * 100:.0f} % of budgeted, "
        "counted once by the projection.",
    )
    scheduled_spent = money_field(
        source="projection.scheduled",
        help_text="Other expenses dated after the date (entered ahead), counted once by the projection.",
    )
    daily_pace = money_field(
        source="projection.daily_pace",
        allow_null=True,
        help_text="The rest of the spending up to the date, per day elapsed; null while projection is early.",
    )
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
    budgeted = money_field(source="amount")
    carried_over = money_field(source="rollover", help_text="Negative when earlier periods were overspent.")
    available = money_field(help_text="budgeted + carried_over")
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


class ToDateSerializer(serializers.Serializer):
    start = serializers.DateField(source="to_date.start")
    end = serializers.DateField(source="to_date.end", help_text="The report's date.")
    income = money_field(source="current.income")
    spending = money_field(source="current.spending")
    net = money_field(source="current.net")


class ComparisonSerializer(TotalsSerializer):
    """Like with like: start, end and the figures are the same days of the period before as
    `to_date` covers of this one (the whole period before once this one is finished)."""

    start = serializers.DateField(source="period.start", help_text="The first day compared (the period's first).")
    end = serializers.DateField(
        source="period.end",
        help_text="The last day compared: as many days into the period before as the report's date is into its "
        "own, cut to its length (31 March: 28 or 29 February); for a year, the same date (29 February: 28 "
        "February); the period's last day when the report's date is its own period's last day.",
    )
    period_start = serializers.DateField(source="whole.start", help_text="The whole period before.")
    period_end = serializers.DateField(source="whole.end")
    whole_period = serializers.BooleanField(source="is_whole", help_text="Whether start to end is the whole period.")
    to_date = ToDateSerializer(source="*", help_text="This period from its start to the report's date.")
    income_change = percent_field(
        allow_null=True, help_text="Percent change from income to to_date.income; null when income is zero."
    )
    spending_change = percent_field(allow_null=True, help_text="From spending to to_date.spending.")
    net_change = percent_field(allow_null=True, help_text="Relative to the size of the previous net.")


class CurrencyTotalsSerializer(TotalsSerializer):
    currency = serializers.CharField()


class SummarySerializer(PeriodReportSerializer):
    income = money_field(source="totals.income")
    spending = money_field(source="totals.spending")
    net = money_field(source="totals.net")
    by_category = CategoryLineSerializer(
        many=True, help_text="Spending per category, largest first; the uncategorised line has category null."
    )
    top_categories = CategoryLineSerializer(many=True, help_text="The five categories with the most spending.")
    uncategorised_spending = money_field()
    days = DayTotalsSerializer(many=True, help_text="Every day of the period, zero-filled.")
    previous = ComparisonSerializer(
        help_text="This period so far against the same days of the period before (like with like)."
    )
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
