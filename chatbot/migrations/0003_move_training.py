"""TrainingRun and ModelVersion move to the training app: their tables are renamed, their rows kept."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("chatbot", "0002_training"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable("trainingrun", "training_trainingrun"),
                migrations.AlterModelTable("modelversion", "training_modelversion"),
            ],
            state_operations=[
                migrations.DeleteModel("ModelVersion"),
                migrations.DeleteModel("TrainingRun"),
            ],
        ),
    ]
