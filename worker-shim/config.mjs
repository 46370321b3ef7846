// config.mjs — reading the Worker's bindings (see CONTRACT.md: Configuration, and README).
export const DEFAULT_GEMINI_API_BASE = 'https://generativelanguage.googleapis.com';

export function upstreamBase(env) {
  const base = (env.GEMINI_API_BASE || DEFAULT_GEMINI_API_BASE).trim();
  return base.replace(/\/+$/, '');
}

// A positive number from a binding, or undefined (unset, blank or nonsense keeps the default).
function positive(value) {
  const n = Number(String(value ?? '').trim() || NaN);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

// What the core needs to know, as one object (index.mjs reconfigures the core when it changes).
export function coreConfig(env) {
  const config = {
    admin_token: env.ADMIN_TOKEN || '',
    auth_tokens: env.AUTH_TOKENS || '',
    allow_client_keys: /^(1|true|yes|on)$/i.test(String(env.ALLOW_CLIENT_KEYS ?? '').trim()),
    cors_origins: String(env.CORS_ORIGINS ?? ''),
  };
  const optional = {
    max_body_bytes: positive(env.MAX_BODY_BYTES),
    max_attempts: positive(env.MAX_ATTEMPTS),
    rate_limit_per_minute: positive(env.RATE_LIMIT_PER_MINUTE),
    body_timeout_ms: positive(env.BODY_TIMEOUT_MS),
  };
  for (const [name, value] of Object.entries(optional)) if (value !== undefined) config[name] = value;
  return config;
}

// How long to wait for Gemini: for the first byte of an answer (a long non-stream generation
// with thinking can take minutes), and between two chunks of an answer already flowing.
const DEFAULT_FIRST_BYTE_MS = 300 * 1000;
const DEFAULT_IDLE_MS = 120 * 1000;

export function timeouts(env) {
  return {
    firstByteMs: positive(env.UPSTREAM_TIMEOUT_MS) ?? DEFAULT_FIRST_BYTE_MS,
    idleMs: positive(env.STREAM_IDLE_TIMEOUT_MS) ?? DEFAULT_IDLE_MS,
  };
}
