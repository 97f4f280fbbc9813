"""The admin for the platform's rows (the AI gateway's records), and the view-only base
every app uses for rows the product writes."""

from django.contrib import admin

from budgetpay.models import AIDailyUsage, AIRequest


class ViewOnlyAdmin(admin.ModelAdmin):
    """Staff can list, open and delete these rows but never add or change them: the
    product writes them (deleting stays, so a person who has them can still be deleted)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AIDailyUsage)
class AIDailyUsageAdmin(ViewOnlyAdmin):
    """Read-only: the counter AI_DAILY_LIMIT is checked against is written by the limiter's
    one conditional UPDATE, never by hand. Deleting stays allowed, as for proposed actions:
    without it the admin could not delete a person who has used the assistant."""

    list_display = ("day", "user", "used")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    date_hierarchy = "day"
    ordering = ("-day", "user")


@admin.register(AIRequest)
class AIRequestAdmin(ViewOnlyAdmin):
    """Read-only: the log of each model call (what for, which model, its tokens, how it ended)
    is written by the LLM gateway as the call is made. Deleting stays allowed, as for AI usage,
    so that a person who used the assistant can still be deleted here."""

    list_display = (
        "created_at",
        "user",
        "purpose",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "succeeded",
        "error",
    )
    list_filter = ("succeeded", "purpose", "model")
    search_fields = ("user__email", "purpose", "model", "error")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
