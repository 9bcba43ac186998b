"""Model out: catalogue and good conversations -> dataset -> QLoRA run -> ModelVersion -> promote.

dataset.py builds the examples, trainer.py fine-tunes, evaluation.py measures before and after,
services.py runs the whole job on a TrainingRun row and manages model versions.
"""
