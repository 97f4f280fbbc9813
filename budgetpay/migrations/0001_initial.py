# The platform's models, moved here from users (IdempotencyKey) and chatbot (AIRequest,
# AIDailyUsage). Their tables already exist under their old names (users 0002, chatbot 0001
# and 0003) and keep every row: this migration creates the models in Django's state only,
# and moves their content types (and so staff permissions on them) to this app.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = {"idempotencykey": "users", "airequest": "chatbot", "aidailyusage": "chatbot"}


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model, old_app in MOVED.items():
        if not ContentType.objects.using(db).filter(app_label="budgetpay", model=model).exists():
            ContentType.objects.using(db).filter(app_label=old_app, model=model).update(app_label="budgetpay")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model, old_app in MOVED.items():
        ContentType.objects.using(db).filter(app_label="budgetpay", model=model).update(app_label=old_app)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('users', '0005_idempotencykey_moves_to_budgetpay'),
        ('chatbot', '0004_ai_records_move_to_budgetpay'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='IdempotencyKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=255)),
                        ('fingerprint', models.CharField(help_text='sha256 of the method, path and body.', max_length=64)),
                        ('status_code', models.PositiveSmallIntegerField()),
                        ('response_body', models.JSONField()),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='idempotency_keys', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'users_idempotencykey',
                        'constraints': [models.UniqueConstraint(fields=('user', 'key'), name='users_unique_idempotency_key')],
                    },
                ),
                migrations.CreateModel(
                    name='AIRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('purpose', models.CharField(max_length=32)),
                        ('model', models.CharField(blank=True, max_length=100)),
                        ('prompt_tokens', models.PositiveIntegerField(default=0)),
                        ('completion_tokens', models.PositiveIntegerField(default=0)),
                        ('succeeded', models.BooleanField(default=False)),
                        ('error', models.CharField(blank=True, max_length=200)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ai_requests', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'chatbot_airequest',
                        'ordering': ('-id',),
                        'indexes': [models.Index(fields=['user', 'created_at'], name='airequest_user_created')],
                    },
                ),
                migrations.CreateModel(
                    name='AIDailyUsage',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField()),
                        ('used', models.PositiveIntegerField(default=0)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'chatbot_aidailyusage',
                        'constraints': [models.UniqueConstraint(fields=('user', 'day'), name='aidailyusage_user_day')],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
