from budgetpay.api import OptionalSlashRouter
from notifications.views import NotificationViewSet

router = OptionalSlashRouter()
router.register("notification", NotificationViewSet, basename="notification")

urlpatterns = router.urls
