from budgetpay.api import OptionalSlashRouter
from goals import views

router = OptionalSlashRouter()
router.register("goals", views.GoalViewSet, basename="goal")
router.register(r"goals/(?P<goal_pk>\d+)/entries", views.GoalEntryViewSet, basename="goal-entry")

urlpatterns = router.urls
