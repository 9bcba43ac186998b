"""Admin's Retrain form and the promote-anyway confirmation."""

from __future__ import annotations

from django import forms

from training.config import PROFILE_CHOICES, SOURCES, ConfigError, TrainingConfig

PROFILE_LABELS = {
    "auto": "Automatic (by the model's device)",
    "cpu": "CPU: short run, full-precision LoRA",
    "gpu": "GPU: QLoRA, 4-bit NF4",
}


class RetrainForm(forms.Form):
    profile = forms.ChoiceField(choices=[(name, PROFILE_LABELS[name]) for name in PROFILE_CHOICES], initial="auto")
    max_steps = forms.IntegerField(
        min_value=0, max_value=100_000, required=False, help_text="Empty: the profile's steps. 0: whole epochs."
    )
    train_minutes = forms.FloatField(
        min_value=0,
        max_value=10_000,
        required=False,
        label="Training time budget (minutes)",
        help_text="Empty: the profile's budget. Training takes the steps that fit at the pace of its first steps. "
        "0: no budget.",
    )
    sources = forms.MultipleChoiceField(
        choices=[(name, name.capitalize()) for name in SOURCES],
        initial=list(SOURCES),
        widget=forms.CheckboxSelectMultiple,
        help_text="Catalogue: needs worded from listings. Conversations: replies visitors liked.",
    )

    def overrides(self) -> dict[str, object]:
        """The run's overrides (after is_valid)."""
        values: dict[str, object] = {"profile": self.cleaned_data["profile"], "sources": self.cleaned_data["sources"]}
        for name in ("max_steps", "train_minutes"):
            if self.cleaned_data[name] is not None:
                values[name] = self.cleaned_data[name]
        return values

    @classmethod
    def defaults(cls) -> RetrainForm:
        return cls({"profile": "auto", "sources": list(SOURCES)})

    def config(self) -> TrainingConfig | None:
        """The configuration these choices give, or None when they are invalid (the form says why)."""
        if not self.is_valid():
            return None
        try:
            return TrainingConfig.from_settings(**self.overrides())
        except ConfigError as error:
            self.add_error(None, str(error))
            return None


class PromoteAnywayForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=1000,
        help_text="Recorded on the version: why it serves although it scored worse.",
    )
