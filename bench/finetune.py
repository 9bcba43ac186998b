"""QLoRA cost and effect on this machine, 4-bit NF4 against full-precision LoRA in the same run: load time,
training samples/s, peak memory (RSS) and weights' footprint, and validation loss before and after.

Usage: python bench/finetune.py [--catalog PATH] [--steps 4] [--batch-size 2] [--seq-len 256] [--eval-examples 8]
The dataset is built once from the demo catalogue (or an AMO API JSON file) in a scratch database; each mode
trains in its own process so that its peak memory is its own. Other work on the machine skews every figure:
the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import REPO, scratch_django

MODES = {"4-bit NF4 (QLoRA)": True, "fp32 LoRA": False}


def build_dataset(catalog: str, seed: int) -> Path:
    """The training set from a scratch catalogue (no search index: training does not need one)."""
    scratch = scratch_django()
    from marketplace import services as catalogue
    from training import dataset
    from training.trainer import load_tokenizer

    if catalog:  # no index: embedding the catalogue is not what we time
        from common import import_catalog

        import_catalog(Path(catalog), index=False)
    else:
        catalogue.demo_catalog_load()
    examples = dataset.catalogue_examples(seed=seed)
    files = dataset.training_set_write(
        examples=examples, tokenizer=load_tokenizer(""), directory=scratch / "set", fraction=0.1, seed=seed
    )
    print(f"dataset: {files.counts['train']} training, {files.counts['validation']} validation examples")
    return scratch / "set"


def train_one(args: argparse.Namespace) -> dict:
    """One mode, in this process: load, evaluate, train, evaluate; figures as JSON."""
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    import django

    django.setup()
    from training import dataset, trainer
    from training.config import TrainingConfig

    config = TrainingConfig.from_settings(
        load_in_4bit=args.child == "4bit",
        max_steps=args.steps,
        batch_size=args.batch_size,
        grad_accumulation=1,
        max_seq_length=args.seq_len,
        warmup_steps=0,
        learning_rate=args.learning_rate,
        seed=args.seed,
    )
    started = time.perf_counter()
    model, tokenizer = trainer.load_for_training(config)
    load_seconds = time.perf_counter() - started
    folder = Path(args.dataset)
    items = trainer.encode(dataset.read_jsonl(folder / "train.jsonl"), tokenizer, config.max_seq_length)
    validation = trainer.encode(
        dataset.read_jsonl(folder / "validation.jsonl")[: args.eval_examples], tokenizer, config.max_seq_length
    )
    pad = trainer.padding_id(tokenizer)

    def loss() -> float:
        return trainer.mean_loss(model, validation, pad_id=pad, batch_size=config.batch_size, device=config.device)

    before = loss()
    result = trainer.train(model, items, config=config, pad_id=pad, on_step=lambda report: True)
    return {
        "load_seconds": load_seconds,
        "samples_per_second": result.samples_per_second,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "footprint_mb": model.get_memory_footprint() / 2**20,
        "before": before,
        "after": loss(),
        "first_loss": result.first_loss,
        "last_loss": result.last_loss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalog", default="", help="AMO API JSON to train on (default: the demo catalogue)")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--seq-len", type=int, default=256)
    parser.add_argument("--eval-examples", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--child", choices=["4bit", "fp32"], help=argparse.SUPPRESS)
    parser.add_argument("--dataset", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(train_one(args)))
        return

    print(f"load average before: {os.getloadavg()[0]:.2f} (other work on the machine skews every figure)")
    folder = build_dataset(args.catalog, args.seed)
    rows = {}
    for label, four_bit in MODES.items():
        command = [
            sys.executable,
            __file__,
            "--child",
            "4bit" if four_bit else "fp32",
            "--dataset",
            str(folder),
            *[
                f"--{name}={getattr(args, name.replace('-', '_'))}"
                for name in ("steps", "batch-size", "seq-len", "eval-examples", "learning-rate", "seed")
            ],
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        rows[label] = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"\n{args.steps} steps of batch {args.batch_size}, sequences up to {args.seq_len} tokens, "
        f"validation loss on {args.eval_examples} held-out examples"
    )
    print(
        f"{'mode':<20} {'load s':>7} {'samples/s':>10} {'peak RSS MB':>12} {'weights MB':>11} "
        f"{'val loss before -> after':>26}"
    )
    for label, row in rows.items():
        print(
            f"{label:<20} {row['load_seconds']:>7.1f} {row['samples_per_second']:>10.3f} "
            f"{row['peak_rss_mb']:>12.0f} {row['footprint_mb']:>11.0f} "
            f"{row['before']:>14.3f} -> {row['after']:.3f}"
        )
    quantised, full = rows["4-bit NF4 (QLoRA)"], rows["fp32 LoRA"]
    print(
        f"4-bit / fp32: speed x{quantised['samples_per_second'] / full['samples_per_second']:.2f}, "
        f"peak RSS x{quantised['peak_rss_mb'] / full['peak_rss_mb']:.2f}, "
        f"weights x{quantised['footprint_mb'] / full['footprint_mb']:.2f}"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
