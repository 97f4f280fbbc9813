import django_filters

from notifications.models import Notification


class NotificationFilter(django_filters.FilterSet):
    unread_only = django_filters.BooleanFilter(method="filter_unread_only", label="Only unread notifications")
    is_read = django_filters.BooleanFilter()
    type = django_filters.MultipleChoiceFilter(choices=Notification.Type.choices)

    class Meta:
        model = Notification
        fields = ("unread_only", "is_read", "type")

    def filter_unread_only(self, queryset, name, value):
        return queryset.filter(is_read=False) if value else queryset
