from django.dispatch import Signal

# Sent after an import added rows with bulk_create (which sends no post_save).
# Arguments: user, count.
transactions_imported = Signal()
