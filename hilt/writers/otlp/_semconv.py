"""The OpenTelemetry GenAI semantic conventions HILT follows, pinned to one version.

The GenAI conventions are still in "Development" status and get renamed between releases: every
name HILT emits is defined here, so following a rename is a change to this module only. Names are
those of semantic conventions **v1.41** (the last release with the GenAI pages in the core
repository). What the conventions do not define goes under ``hilt.*``.
"""

from __future__ import annotations

SEMCONV_VERSION = "1.41.0"
SCHEMA_URL = f"https://opentelemetry.io/schemas/{SEMCONV_VERSION}"

# span attributes
OPERATION_NAME = "gen_ai.operation.name"
PROVIDER_NAME = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
REQUEST_STREAM = "gen_ai.request.stream"
RESPONSE_MODEL = "gen_ai.response.model"
RESPONSE_ID = "gen_ai.response.id"
RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens"
CACHE_CREATION_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
REASONING_TOKENS = "gen_ai.usage.reasoning.output_tokens"
CONVERSATION_ID = "gen_ai.conversation.id"
OUTPUT_TYPE = "gen_ai.output.type"
INPUT_MESSAGES = "gen_ai.input.messages"
OUTPUT_MESSAGES = "gen_ai.output.messages"
SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
TOKEN_TYPE = "gen_ai.token.type"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
ERROR_TYPE = "error.type"
HTTP_STATUS_CODE = "http.response.status_code"
OPENAI_REQUEST_SERVICE_TIER = "openai.request.service_tier"
OPENAI_RESPONSE_SERVICE_TIER = "openai.response.service_tier"
OPENAI_SYSTEM_FINGERPRINT = "openai.response.system_fingerprint"
ERROR_TYPE_OTHER = "_OTHER"

# HILT's own attributes (no convention covers them)
HILT_COST_USD = "hilt.cost_usd"
HILT_COST_STATUS = "hilt.cost_status"
HILT_STATUS = "hilt.status"
HILT_SESSION_ID = "hilt.session_id"
HILT_PROMPT_EVENT_ID = "hilt.prompt_event_id"
HILT_COMPLETION_EVENT_ID = "hilt.completion_event_id"
HILT_ENDPOINT = "hilt.endpoint"
HILT_REQUEST_ID = "hilt.request_id"
HILT_METADATA_PREFIX = "hilt.metadata."  # + each key of extensions.metadata (compliance labels)
HILT_SAMPLE_RATE = "hilt.sample_rate"

# request parameters (keys of ``extensions.params``) → span attributes
REQUEST_PARAMS: dict[str, str] = {
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "max_tokens": "gen_ai.request.max_tokens",
    "max_completion_tokens": "gen_ai.request.max_tokens",
    "max_output_tokens": "gen_ai.request.max_tokens",
    "seed": "gen_ai.request.seed",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty",
    "n": "gen_ai.request.choice.count",
    "stop": "gen_ai.request.stop_sequences",
    "encoding_format": "gen_ai.request.encoding_formats",
    "service_tier": OPENAI_REQUEST_SERVICE_TIER,
}

# metrics: names, units and explicit bucket boundaries of v1.41
DURATION_METRIC = "gen_ai.client.operation.duration"
TOKEN_USAGE_METRIC = "gen_ai.client.token.usage"
TIME_TO_FIRST_CHUNK_METRIC = "gen_ai.client.operation.time_to_first_chunk"
COST_METRIC = "hilt.client.cost"
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TOKEN_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip

# ``provenance.endpoint`` (before the last dot) → gen_ai.operation.name
OPERATIONS = {
    "chat.completions": "chat",
    "beta.chat.completions": "chat",
    "responses": "chat",
    "beta.responses": "chat",
    "embeddings": "embeddings",
    "completions": "text_completion",
}

# domain of an OpenAI-compatible server (or a subdomain of it) → gen_ai.provider.name (else "openai")
PROVIDER_HOSTS = (
    ("openai.azure.com", "azure.ai.openai"),
    ("cognitiveservices.azure.com", "azure.ai.openai"),
    ("api.deepseek.com", "deepseek"),
    ("api.groq.com", "groq"),
    ("api.mistral.ai", "mistral_ai"),
    ("api.x.ai", "x_ai"),
    ("api.perplexity.ai", "perplexity"),
    ("generativelanguage.googleapis.com", "gcp.gemini"),
    ("api.anthropic.com", "anthropic"),
    ("api.cohere.ai", "cohere"),
    ("api.cohere.com", "cohere"),
)
AZURE_PROVIDER = "azure.ai.openai"

CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
CONTENT_ON_SPAN = frozenset({"span_only", "span_and_event", "true"})
