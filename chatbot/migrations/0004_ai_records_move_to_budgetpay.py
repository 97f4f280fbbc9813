# AIRequest and AIDailyUsage moved to the platform app with the language-model gateway
# (budgetpay 0001). Only Django's picture of the models changes here: the tables
# chatbot_airequest and chatbot_aidailyusage and their rows stay where they are.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('chatbot', '0003_ai_daily_usage'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='AIRequest'), migrations.DeleteModel(name='AIDailyUsage')],
            database_operations=[],
        ),
    ]
