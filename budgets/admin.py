from django.contrib import admin

from budgets.models import Budget


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    list_display = ("__str__", "user", "category", "amount", "period", "start_date", "rollover", "created_at")
    list_filter = ("period", "rollover")
    search_fields = ("name", "category__name", "user__email")
    list_select_related = ("user", "category")
    autocomplete_fields = ("user",)
    raw_id_fields = ("category",)
    date_hierarchy = "start_date"
