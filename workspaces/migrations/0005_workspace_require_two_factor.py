from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("workspaces", "0004_workspace_web_origins_seen")]

    operations = [
        migrations.AddField(
            model_name="workspace",
            name="require_two_factor",
            field=models.BooleanField(default=False),
        ),
    ]
