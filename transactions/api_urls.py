from budgetpay.api import OptionalSlashRouter
from transactions import views

router = OptionalSlashRouter()
router.register("accounts", views.AccountViewSet, basename="account")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("transactions", views.TransactionViewSet, basename="transaction")

urlpatterns = router.urls
