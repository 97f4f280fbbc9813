"""post_save/post_delete receivers: each forwards the saved row to a rule."""

from budgetpay.periods import user_today
from notifications import rules


def transaction_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    if created:
        rules.transaction_recorded(transaction=instance)
        if instance.kind != instance.Kind.EXPENSE:
            return  # budgets count expenses only: a new income or transfer moves no budget
    rules.budget_thresholds(user=instance.user, on=instance.date)


def _deleted_on_its_own(instance, origin) -> bool:
    """False when the row goes as part of a larger deletion (an account, a goal, a
    user deleting their data): there is nothing left to tell anyone."""
    return origin is instance or getattr(origin, "model", None) is type(instance)


def transaction_deleted(sender, instance, origin=None, **kwargs) -> None:
    if _deleted_on_its_own(instance, origin):
        rules.budget_thresholds(user=instance.user, on=instance.date)


def budget_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        rules.budget_thresholds(user=instance.user, on=user_today(instance.user))


def goal_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        rules.goal_changed(goal=instance)


def goal_entry_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        rules.goal_changed(goal=instance.goal)


def goal_entry_deleted(sender, instance, origin=None, **kwargs) -> None:
    if _deleted_on_its_own(instance, origin):
        rules.goal_changed(goal=instance.goal)


def transactions_imported(sender, user, **kwargs) -> None:
    rules.budget_thresholds(user=user, on=user_today(user))


def refresh_token_reused(sender, user, family: str, **kwargs) -> None:
    rules.refresh_token_reused(user=user, family=family)
