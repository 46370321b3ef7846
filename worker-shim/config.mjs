// config.mjs — reading the Worker's bindings (see CONTRACT.md: Configuration).
export const DEFAULT_GEMINI_API_BASE = 'https://generativelanguage.googleapis.com';

export function upstreamBase(env) {
  const base = (env.GEMINI_API_BASE || DEFAULT_GEMINI_API_BASE).trim();
  return base.replace(/\/+$/, '');
}

// What the core needs to know, as one object; `signature` changes whenever it does.
export function coreConfig(env) {
  const config = {
    admin_token: env.ADMIN_TOKEN || '',
    auth_tokens: env.AUTH_TOKENS || '',
    allow_client_keys: /^(1|true|yes|on)$/i.test(String(env.ALLOW_CLIENT_KEYS ?? '')),
  };
  const maxBody = Number(env.MAX_BODY_BYTES);
  if (Number.isFinite(maxBody) && maxBody > 0) config.max_body_bytes = maxBody;
  const attempts = Number(env.MAX_ATTEMPTS);
  if (Number.isFinite(attempts) && attempts > 0) config.max_attempts = attempts;
  return config;
}
