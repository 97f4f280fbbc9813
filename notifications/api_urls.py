from django.urls import include, path

from budgetpay.api import OptionalSlashRouter
from notifications.views import NotificationViewSet

router = OptionalSlashRouter()
router.register("notification", NotificationViewSet, basename="notification")

# The named paths come before the router's `notification/{id}`.
urlpatterns = [
    path("", include("notifications.push_api")),
    path("", include("notifications.webhook_api")),
    path("", include("notifications.quiet_hours_api")),
    *router.urls,
]
