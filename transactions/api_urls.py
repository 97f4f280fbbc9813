from budgetpay.api import OptionalSlashRouter

router = OptionalSlashRouter()

urlpatterns = router.urls
