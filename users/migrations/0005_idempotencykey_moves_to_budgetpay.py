# IdempotencyKey moved to the platform app (budgetpay 0001). Only Django's picture of the
# models changes here: the table users_idempotencykey and its rows stay where they are.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('users', '0004_locale_and_confirmed_settings'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='IdempotencyKey')],
            database_operations=[],
        ),
    ]
