import math

import pytest

from chatbot.llm.base import GenerationParams


def test_from_settings_reads_and_bounds_the_defaults(settings):
    settings.LLM_TEMPERATURE = 0.7
    settings.LLM_MAX_NEW_TOKENS = 4000
    params = GenerationParams.from_settings()
    assert params.temperature == 0.7
    assert params.max_new_tokens == 150


def test_tuned_clamps_to_hard_bounds(params):
    tuned = params.tuned(temperature=9, top_k=-5, top_p=0, repetition_penalty=0.5, max_new_tokens=10_000)
    assert tuned == GenerationParams(temperature=1.5, top_k=0, top_p=0.05, repetition_penalty=1.0, max_new_tokens=150)
    assert params.tuned(max_new_tokens=1).max_new_tokens == 16
    assert params.tuned(top_k=12.6).top_k == 13
    assert params.tuned() == params
    assert params.max_new_tokens == 32  # a copy: the original is unchanged


@pytest.mark.parametrize(
    "overrides",
    [
        {"seed": 1},
        {"temperature": "hot"},
        {"top_k": None},
        {"top_p": True},
        {"max_new_tokens": math.inf},
        {"temperature": math.nan},
    ],
)
def test_tuned_rejects_unknown_keys_and_non_numbers(params, overrides):
    with pytest.raises(ValueError):
        params.tuned(**overrides)


def test_as_dict(params):
    assert params.as_dict() == {
        "temperature": 0.0,
        "top_k": 40,
        "top_p": 0.9,
        "repetition_penalty": 1.1,
        "max_new_tokens": 32,
    }
