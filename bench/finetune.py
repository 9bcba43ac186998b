"""A whole fine-tuning run as admin's "Retrain model" starts it, on this machine's profile: wall time by phase,
peak memory, and the held-out figures before and after (names the right add-on, sentences the chat's verifier
supports, invented add-ons), for full-precision LoRA and 4-bit NF4 (QLoRA) in the same run.

Usage: python bench/finetune.py [--catalog PATH] [--modes fp32,4bit] [--max-steps N] [--grounded-samples N]
Each mode runs in its own process on a scratch database (the demo catalogue, or an AMO API JSON file), so its
peak memory is its own. Other work on the machine skews every figure: the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from common import scratch_django

MODES = {"fp32": False, "4bit": True}


def run_one(args: argparse.Namespace) -> dict:
    """One mode, in this process: a training run through the services, as admin or `retrain` starts it."""
    scratch_django()
    from marketplace import services as catalogue
    from marketplace.jobs import jobs_wait
    from training import services
    from training.config import TrainingConfig
    from training.estimate import training_estimate
    from training.models import TrainingRun

    if args.catalog:
        from common import import_catalog

        import_catalog(args.catalog, index=False)
    else:
        catalogue.demo_catalog_load()
    overrides: dict[str, object] = {"load_in_4bit": MODES[args.child]}
    overrides |= {name: value for name, value in (("max_steps", args.max_steps),) if value is not None}
    overrides |= {"grounded_samples": args.grounded_samples} if args.grounded_samples is not None else {}
    config = TrainingConfig.from_settings(**overrides)
    estimate = training_estimate(config)
    started = time.perf_counter()
    run = services.training_run_start(trigger=TrainingRun.Trigger.CLI, overrides=overrides)
    jobs_wait()  # the job runs in a thread of this process, as without a broker
    run.refresh_from_db()
    if run.status != TrainingRun.Status.SUCCEEDED:
        raise SystemExit(f"the run {run.status}: {run.error}\n{run.log}")
    return {
        "seconds": time.perf_counter() - started,
        "estimate": estimate,
        "phases": run.metrics["phase_seconds"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "before": run.metrics["before"],
        "after": run.metrics["after"],
        "config": run.config,
        "counts": {key: run.counts.get(key) for key in ("train", "validation", "dropped_unverified")},
        "trained_steps": run.metrics["training"]["steps"],
    }


def _rates(evaluation: dict) -> str:
    grounded = evaluation["grounded"]
    supported = grounded["supported_rate"]
    return (
        f"names right {grounded['named_right']}/{grounded['samples']} ({grounded['rate']:.0%}), "
        f"supported sentences {grounded['supported_sentences']}/{grounded['sentences']} "
        f"({'—' if supported is None else f'{supported:.1%}'}), "
        f"invented {grounded['invented']}, mean words {grounded['mean_words'] or 0:.0f}, "
        f"validation loss {evaluation['validation_loss']:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalog", default="", help="AMO API JSON to train on (default: the demo catalogue)")
    parser.add_argument("--modes", default="fp32,4bit", help="comma-separated: fp32, 4bit")
    parser.add_argument("--max-steps", type=int, help="override the profile's steps")
    parser.add_argument("--grounded-samples", type=int, help="override the profile's held-out answers")
    parser.add_argument("--child", choices=sorted(MODES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args)))
        return

    print(f"load average before: {os.getloadavg()[0]:.2f} (other work on the machine skews every figure)")
    for mode in args.modes.split(","):
        command = [sys.executable, __file__, "--child", mode, "--catalog", args.catalog]
        command += [f"--max-steps={args.max_steps}"] if args.max_steps is not None else []
        command += [f"--grounded-samples={args.grounded_samples}"] if args.grounded_samples is not None else []
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            print(f"\n{mode}: failed\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        config = row["config"]
        print(
            f"\n{mode} ({config['profile']} profile): {row['trained_steps']} of {config['max_steps']} planned steps "
            f"(time budget {config['train_minutes']:g} min) of batch {config['batch_size']}, "
            f"{row['counts']['train']} training / {row['counts']['validation']} validation examples, "
            f"dropped by the verifier {row['counts']['dropped_unverified']}"
        )
        print(f"  whole run {row['seconds'] / 60:.1f} min, peak RSS {row['peak_rss_mb']:.0f} MB")
        for phase, seconds in row["phases"].items():
            print(f"  {phase:<16} {seconds:>7.1f} s   (estimated {row['estimate'].get(phase, 0):.0f} s)")
        print(f"  before: {_rates(row['before'])}")
        print(f"  after:  {_rates(row['after'])}")
        for sample in row["after"]["grounded"]["answers"][:3]:
            print(f"    need: {sample['need']}\n    expected {sample['expected']!r}; answer: {sample['answer']}")
        for answer, names in row["after"]["grounded"]["inventions"]:
            print(f"    named off the cards {', '.join(names)}: {answer}")
        for sentence, words in row["after"]["grounded"]["slips"]:
            print(f"    unsupported {', '.join(words)}: {sentence}")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
