"""TrainingRun and ModelVersion, moved here from the chatbot app (chatbot 0003 renamed their tables).

Only Django's model state is created here; existing content types move with the models, so the
permissions granted on them stay granted.
"""

import django.db.models.deletion
from django.db import migrations, models


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="chatbot", model__in=["trainingrun", "modelversion"]).update(
        app_label="training"
    )


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="training", model__in=["trainingrun", "modelversion"]).update(
        app_label="chatbot"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("chatbot", "0003_move_training"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="TrainingRun",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending"),
                                    ("running", "Running"),
                                    ("succeeded", "Succeeded"),
                                    ("failed", "Failed"),
                                    ("cancelled", "Cancelled"),
                                ],
                                default="pending",
                                max_length=16,
                            ),
                        ),
                        (
                            "trigger",
                            models.CharField(
                                choices=[("cli", "Command line"), ("admin", "Admin action")],
                                default="cli",
                                max_length=16,
                            ),
                        ),
                        (
                            "config",
                            models.JSONField(blank=True, default=dict, help_text="Every hyperparameter the run used."),
                        ),
                        ("dataset_path", models.CharField(blank=True, max_length=500)),
                        (
                            "counts",
                            models.JSONField(blank=True, default=dict, help_text="Examples by source and split."),
                        ),
                        ("step", models.PositiveIntegerField(default=0)),
                        ("total_steps", models.PositiveIntegerField(default=0)),
                        ("loss", models.FloatField(blank=True, help_text="Training loss at the last step.", null=True)),
                        ("eta_seconds", models.PositiveIntegerField(blank=True, null=True)),
                        (
                            "loss_history",
                            models.JSONField(blank=True, default=list, help_text="[step, loss] pairs for the chart."),
                        ),
                        ("log", models.TextField(blank=True)),
                        (
                            "metrics",
                            models.JSONField(
                                blank=True, default=dict, help_text="Evaluation before and after training."
                            ),
                        ),
                        ("error", models.TextField(blank=True)),
                        ("cancel_requested", models.BooleanField(default=False)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "ordering": ["-created_at", "-id"],
                        "constraints": [
                            models.UniqueConstraint(
                                models.Value(1),
                                condition=models.Q(("status__in", ["pending", "running"])),
                                name="trainingrun_one_live",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ModelVersion",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("number", models.PositiveIntegerField(unique=True)),
                        (
                            "base_model",
                            models.CharField(blank=True, help_text="Empty: the packaged SmolLM2.", max_length=500),
                        ),
                        ("adapter_path", models.CharField(max_length=500)),
                        (
                            "merged_path",
                            models.CharField(blank=True, help_text="Merged full model, when exported.", max_length=500),
                        ),
                        ("training_config", models.JSONField(blank=True, default=dict)),
                        ("metrics", models.JSONField(blank=True, default=dict)),
                        (
                            "status",
                            models.CharField(
                                choices=[("ready", "Ready"), ("active", "Active"), ("retired", "Retired")],
                                default="ready",
                                max_length=16,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("promoted_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "previous",
                            models.ForeignKey(
                                blank=True,
                                help_text="What was active before this was promoted; rollback returns to it.",
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="training.modelversion",
                            ),
                        ),
                        (
                            "training_run",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="model_version",
                                to="training.trainingrun",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-number"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("status", "active")),
                                fields=("status",),
                                name="modelversion_one_active",
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
