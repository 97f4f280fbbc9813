from django.contrib import admin

from budgetpay.admin import ViewOnlyAdmin
from chatbot.models import Conversation, Message, ProposedAction


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("created_at", "role", "content", "tool_calls", "tool_call_id", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "title", "created_at", "updated_at")
    search_fields = ("title", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "created_at"
    inlines = [MessageInline]


@admin.register(ProposedAction)
class ProposedActionAdmin(ViewOnlyAdmin):
    """Read-only: a change is applied only by its owner's confirmation, never from here."""

    list_display = ("id", "user", "operation", "status", "summary", "created_at", "decided_at")
    list_filter = ("operation", "status")
    search_fields = ("summary", "user__email")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
