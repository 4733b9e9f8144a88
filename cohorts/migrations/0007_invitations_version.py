from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cohorts", "0006_works_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="cohort",
            name="invitations_version",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
    ]
