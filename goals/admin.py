from django.contrib import admin

from goals.models import Goal, GoalEntry


class GoalEntryInline(admin.TabularInline):
    model = GoalEntry
    extra = 0
    fields = ("kind", "amount", "date", "note")


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "target_amount", "target_date", "account", "created_at")
    list_filter = ("target_date",)
    search_fields = ("name", "user__email", "account__name")
    list_select_related = ("user", "account")
    autocomplete_fields = ("user",)
    raw_id_fields = ("account",)
    inlines = (GoalEntryInline,)
