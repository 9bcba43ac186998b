"""Readable tables for the run and version pages: held-out figures side by side, sample answers, dataset
counts, configuration and phase times, instead of JSON dumps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.utils.html import format_html, format_html_join

from training.models import TrainingRun
from training.selectors import duration


def _table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    header = format_html_join("", "<th>{}</th>", ((cell,) for cell in head))
    body = format_html_join(
        "", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows)
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", header, body)


def _share(part: int | None, whole: int | None) -> str:
    if part is None or not whole:
        return "—"
    return f"{part}/{whole} ({part / whole:.0%})"


def _number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


FIGURES = (
    ("Names the right add-on", lambda e, g: _share(g.get("named_right"), g.get("samples"))),
    ("Sentences the verifier supports", lambda e, g: _share(g.get("supported_sentences"), g.get("sentences"))),
    ("Invented add-ons", lambda e, g: ", ".join([str(g.get("invented", "—")), *g.get("invented_names", [])])),
    ("Mean words per answer", lambda e, g: _number(g.get("mean_words"), 1)),
    ("Validation loss", lambda e, g: _number(e.get("validation_loss"))),
    ("Perplexity", lambda e, g: _number(e.get("perplexity"), 2)),
)


def evaluation_table(columns: Sequence[tuple[str, dict | None]]) -> str:
    """Held-out figures, one column per model (base, this version, what serves...)."""
    present = [(label, evaluation) for label, evaluation in columns if evaluation]
    if not present:
        return "—"
    rows = [
        [name, *(figure(evaluation, evaluation.get("grounded") or {}) for _, evaluation in present)]
        for name, figure in FIGURES
    ]
    return _table(["", *(label for label, _ in present)], rows)


def answers_table(before: dict | None, after: dict | None) -> str:
    """A few held-out needs with the answer before and after training."""
    earlier = {item["need"]: item for item in (before or {}).get("grounded", {}).get("answers", [])}
    later = (after or {}).get("grounded", {}).get("answers", [])
    if not later and not earlier:
        return "—"
    rows = [
        (
            item["need"],
            item["expected"],
            earlier.get(item["need"], {}).get("answer", "—"),
            item["answer"],
            ", ".join(item.get("invented", [])) or "none",
        )
        for item in (later or list(earlier.values()))
    ]
    return _table(["Held-out need", "Expected add-on", "Before", "After", "Invented add-ons (after)"], rows)


def slips_table(after: dict | None) -> str:
    """What the chat would not let through after training: held-out sentences with the words no card supports,
    and answers with the add-ons they name off the cards."""
    grounded = (after or {}).get("grounded", {})
    rows = [(sentence, f"unsupported: {', '.join(words)}") for sentence, words in grounded.get("slips", [])]
    rows += [(answer, f"named off the cards: {', '.join(names)}") for answer, names in grounded.get("inventions", [])]
    if not rows:
        return "none"
    return _table(["Held-out reply", "What the chat would not let through"], rows)


def counts_table(counts: dict) -> str:
    """Examples by source and split, and how many the verifier dropped."""
    if not counts:
        return "—"
    train, validation = counts.get("train_by_source", {}), counts.get("validation_by_source", {})
    dropped = counts.get("dropped_unverified", {})
    sources = sorted(set(train) | set(validation) | set(dropped))
    rows = [(source, train.get(source, 0), validation.get(source, 0), dropped.get(source, 0)) for source in sources]
    rows.append(("all", counts.get("train", 0), counts.get("validation", 0), sum(dropped.values())))
    return _table(["Source", "Training", "Validation", "Dropped (failed the verifier)"], rows)


def examples_table(samples: list[dict]) -> str:
    if not samples:
        return "—"
    return _table(
        ["Source", "Need", "Target reply"], [(sample["source"], sample["need"], sample["target"]) for sample in samples]
    )


def config_table(config: dict) -> str:
    if not config:
        return "—"
    rows = [
        (name.replace("_", " "), ", ".join(value) if isinstance(value, list) else value)
        for name, value in config.items()
    ]
    return _table(["Setting", "Value"], rows)


def phases_table(run: TrainingRun) -> str:
    """Wall time of each phase against the estimate made when the run started."""
    if not run.phase_seconds and not run.estimate_seconds:
        return "—"
    rows = [
        (
            label,
            duration(run.phase_seconds.get(value)) if value in run.phase_seconds else "—",
            duration(run.estimate_seconds.get(value)),
        )
        for value, label in TrainingRun.Phase.choices
    ]
    return _table(["Phase", "Took", "Estimated"], rows)
