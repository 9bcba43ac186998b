import re
import time

import pytest

from chatbot.llm import transformers_backend
from chatbot.llm.transformers_backend import SMOLLM2_CACHE, TransformersBackend, load_model, sampling, until_stop
from chatbot.llm.verifier import Facts, unsupported


@pytest.mark.parametrize(
    "pieces, text",
    [
        (["Hello", " there.", "<|im_end|>"], "Hello there."),
        (["Hi.", "\n", "Us", "er: what", " now"], "Hi."),
        (["Hi.<|im_", "start|>user"], "Hi."),
        (["Line one\n", "Line two"], "Line one\nLine two"),
        (["Almost <", "b>bold"], "Almost <b>bold"),
    ],
)
def test_until_stop_cuts_at_a_new_turn(pieces, text):
    assert "".join(until_stop(pieces)) == text


def test_until_stop_holds_back_only_a_possible_marker():
    stream = until_stop(iter(["Great", " pick.\n", "Use"]))
    assert next(stream) == "Great"
    assert next(stream) == " pick."  # "\n" might start "\nUser:", so it waits
    assert list(stream) == ["\nUse"]


def test_sampling_is_greedy_at_temperature_zero(params):
    assert sampling(params) == {"do_sample": False, "max_new_tokens": 32, "repetition_penalty": 1.1}
    assert sampling(params.tuned(temperature=0.7)) == {
        "do_sample": True,
        "temperature": 0.7,
        "top_k": 40,
        "top_p": 0.9,
        "max_new_tokens": 32,
        "repetition_penalty": 1.1,
    }


def test_the_model_loads_with_the_configured_torch_threads(settings, monkeypatch):
    threads = []
    monkeypatch.setattr(transformers_backend.torch, "set_num_threads", threads.append)
    monkeypatch.setattr(transformers_backend, "load_model", lambda *args: ("model", "tokenizer"))
    settings.LLM_TORCH_THREADS = 1
    assert TransformersBackend("", "", False, "cpu").loaded() == ("model", "tokenizer") and threads == [1]
    settings.LLM_TORCH_THREADS = 0  # torch's own default
    TransformersBackend("", "", False, "cpu").loaded()
    assert threads == [1]


@pytest.mark.slow
def test_smollm2_writes_a_reply_and_caches_the_conversion(settings, monkeypatch, request_for, params):
    backend = TransformersBackend(model="", adapter="", load_in_4bit=False, device="cpu")
    text = "".join(backend.stream(request_for(), params.tuned(max_new_tokens=16)))
    assert text.strip() and "<|im_end|>" not in text
    assert (settings.LLM_CACHE_DIR / SMOLLM2_CACHE / "model.safetensors").exists()

    def no_gguf():
        raise AssertionError("the GGUF was converted again")

    monkeypatch.setattr(transformers_backend, "packaged_gguf", no_gguf)
    started = time.perf_counter()
    model, tokenizer = load_model("", "", False, "cpu")
    assert time.perf_counter() - started < 15 and model.dtype.is_floating_point and tokenizer.chat_template


@pytest.mark.slow
def test_smollm2_writes_one_grounded_sentence_per_card(request_for, params, cards):
    backend = TransformersBackend(model="", adapter="", load_in_4bit=False, device="cpu")
    request = request_for(said="I hate ads on youtube")
    pieces = list(backend.stream(request, params.tuned(max_new_tokens=80)))
    text = "".join(pieces).strip()
    sentences = [sentence for sentence in re.split(r"(?<=\.)\s+", text) if sentence]
    assert len(pieces) > len(sentences)  # token by token, not sentence by sentence
    assert [sentence.split(" ")[0] for sentence in sentences] == [card.name.split(" ")[0] for card in cards][
        : len(sentences)
    ]
    facts = Facts.of(cards, f"{request.need} {request.said}")
    assert sentences and all(unsupported(sentence, facts) == [] for sentence in sentences), text
