from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse

from notifications import services
from notifications.models import Notification, NotificationPreference

User = get_user_model()


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
    list_display = ("user", "type", "enabled")
    list_filter = ("type", "enabled")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)
