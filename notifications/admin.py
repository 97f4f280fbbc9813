from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse

from notifications import outbox, services
from notifications.models import (
    Delivery,
    DeliveryAttempt,
    DeliverySettings,
    Notification,
    NotificationPreference,
    PushSubscription,
    Webhook,
)

User = get_user_model()

# A push endpoint is a long URL whose tail is the browser's token: the list shows its start.
ENDPOINT_SHOWN = 60


class BroadcastForm(forms.Form):
    title = forms.CharField(max_length=200)
    message = forms.CharField(widget=forms.Textarea, max_length=2000)
    level = forms.ChoiceField(choices=Notification.Level.choices, initial=Notification.Level.INFO)
    everyone = forms.BooleanField(required=False, label="Send to every active user")
    recipients = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("email"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text="Or choose people (ctrl/cmd-click for several).",
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("everyone") and not cleaned.get("recipients"):
            raise forms.ValidationError("Choose recipients, or send to every active user.")
        return cleaned


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "type", "level", "title", "source", "is_read", "created_at")
    list_filter = ("type", "level", "source", "is_read")
    search_fields = ("title", "message", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("created_at", "read_at", "dedupe_key")
    date_hierarchy = "created_at"
    change_list_template = "admin/notifications/notification/change_list.html"

    def get_urls(self):
        broadcast = path(
            "broadcast/",
            self.admin_site.admin_view(self.broadcast_view),
            name="notifications_notification_broadcast",
        )
        return [broadcast, *super().get_urls()]

    def broadcast_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        initial = {}
        if ids := request.GET.get("ids"):
            initial["recipients"] = [int(value) for value in ids.split(",") if value.isdigit()]
        form = BroadcastForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            users = (
                User.objects.filter(is_active=True).iterator()
                if form.cleaned_data["everyone"]
                else form.cleaned_data["recipients"]
            )
            sent = services.broadcast(
                users=users,
                title=form.cleaned_data["title"],
                message=form.cleaned_data["message"],
                level=form.cleaned_data["level"],
            )
            messages.success(request, f"Announcement sent to {sent} user(s).")
            return HttpResponseRedirect(reverse("admin:notifications_notification_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": "Send an announcement",
        }
        return render(request, "admin/notifications/notification/broadcast.html", context)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "type", "channel", "enabled")
    list_filter = ("channel", "type", "enabled")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)


class DeliveryAttemptInline(admin.TabularInline):
    """The delivery log: each try, its answer and how long it took. Written by the outbox only."""

    model = DeliveryAttempt
    fields = ("at", "status_code", "error", "duration_ms")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Outside deliveries (push, webhook). Staff read how one went and send a given-up one
    again ("Resend"); the outbox owns every other change."""

    list_display = ("key", "user", "channel", "state", "attempts", "last_status_code", "next_attempt_at", "sent_at")
    list_filter = ("channel", "state")
    search_fields = ("key", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user", "notification", "push_subscription", "webhook")
    readonly_fields = ("key", "is_test", "claim", "created_at")
    date_hierarchy = "created_at"
    inlines = (DeliveryAttemptInline,)
    actions = ("resend",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by notify() and a webhook's test event, never by hand

    @admin.action(description="Resend the selected deliveries", permissions=("change",))
    def resend(self, request: HttpRequest, queryset) -> None:
        count = 0
        for delivery in queryset:
            outbox.delivery_resend(delivery=delivery)
            count += 1
        self.message_user(
            request, f"{count} deliver{'y' if count == 1 else 'ies'} queued again.", level=messages.SUCCESS
        )


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """People's webhooks. The signing secret is never shown (the person saw it once)."""

    list_display = ("url", "user", "is_active", "consecutive_failures", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "user__email", "description")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    exclude = ("secret",)
    readonly_fields = ("consecutive_failures", "created_at", "updated_at")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a person makes their own (the API), and sees its secret then


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "user_agent", "short_endpoint", "created_at", "last_success_at")
    search_fields = ("user__email", "user_agent")
    list_select_related = ("user",)
    # The browser's keys stay out of sight; a subscription is read or deleted, never edited.
    fields = ("user", "user_agent", "endpoint", "created_at", "last_success_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="endpoint")
    def short_endpoint(self, subscription: PushSubscription) -> str:
        endpoint = subscription.endpoint
        return endpoint if len(endpoint) <= ENDPOINT_SHOWN else endpoint[: ENDPOINT_SHOWN - 1] + "…"


@admin.register(DeliverySettings)
class DeliverySettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "push_hides_amounts")
    list_filter = ("push_hides_amounts",)
    search_fields = ("user__email",)
    raw_id_fields = ("user",)
