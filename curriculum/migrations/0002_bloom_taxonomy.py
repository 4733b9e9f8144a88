"""The six levels of Bloom's revised taxonomy and a starting verb → level mapping.

Admins edit the mapping afterwards; this migration only fills what is missing.
"""

from django.db import migrations

from curriculum.bloom import ensure_bloom_taxonomy


def forwards(apps, schema_editor):
    ensure_bloom_taxonomy(apps.get_model("curriculum", "BloomLevel"), apps.get_model("curriculum", "BloomVerb"))


class Migration(migrations.Migration):
    dependencies = [("curriculum", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
