from django.db import migrations, models

# Expense categories that are fixed payments by their name alone: the default Housing and
# a person's own "Rent". Kept to these two so no category's projection changes by guess.
FIXED_NAMES = ("housing", "rent")


def mark_fixed_categories(apps, schema_editor):
    Category = apps.get_model("transactions", "Category")
    for name in FIXED_NAMES:
        Category.objects.filter(kind="expense", name__iexact=name).update(is_fixed=True)


class Migration(migrations.Migration):

    dependencies = [
        ("transactions", "0002_restrict_account_deletion"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="is_fixed",
            field=models.BooleanField(
                default=False,
                help_text="Fixed payments such as rent: projections count them once, not as daily spending.",
            ),
        ),
        migrations.RunPython(mark_fixed_categories, migrations.RunPython.noop),
    ]
