from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("workspaces", "0005_invitations")]

    operations = [
        migrations.AddField(
            model_name="workspace",
            name="require_two_factor",
            field=models.BooleanField(default=False),
        ),
    ]
