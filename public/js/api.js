// The admin API, one function per call. Authentication is the HttpOnly session cookie only:
// the token is sent once to POST /api/session and never kept by the page.

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let onUnauthorized = () => {};

// Called when a call that needs a session gets 401, so the page can show the login form.
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

async function call(method, path, body, { quiet401 = false } = {}) {
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, err.message, 'network');
  }
  const data = await res.json().catch(() => null);
  if (res.ok) return { status: res.status, data: data ?? {} };
  const error = data?.error ?? {};
  const failure = new ApiError(res.status, error.message || `HTTP ${res.status}`, error.code);
  if (res.status === 401 && !quiet401) onUnauthorized(failure);
  throw failure;
}

export const session = {
  check: () => call('GET', '/api/session', undefined, { quiet401: true }),
  login: (token) => call('POST', '/api/session', { token }, { quiet401: true }),
  logout: () => call('DELETE', '/api/session', undefined, { quiet401: true }),
};

export async function listKeys({ page, limit, status, q, sort, order }) {
  const query = new URLSearchParams({ page, limit, status, sort, order });
  if (q) query.set('q', q);
  return (await call('GET', `/api/keys?${query}`)).data;
}

export async function addKeys(keys) { return (await call('POST', '/api/keys', { keys })).data; }

export async function deleteKeys(ids) { return (await call('DELETE', '/api/keys', { ids })).data; }

export async function setEnabled(ids, enabled) {
  const path = enabled ? '/api/keys/enable' : '/api/keys/disable';
  return (await call('POST', path, { ids })).data;
}

// ids omitted: check every key in the pool.
export async function startCheck(ids) {
  const res = ids ? await call('POST', '/api/keys/check', { ids }) : await call('GET', '/api/keys/check');
  return res.data;
}

export async function checkStatus() { return (await call('GET', '/api/keys/check/status')).data; }

// Resolves to null while the server has no statistics endpoint (404), so callers hide charts.
export async function stats(hours, keyId) {
  const query = new URLSearchParams({ hours });
  if (keyId != null) query.set('key_id', keyId);
  try {
    return (await call('GET', `/api/stats?${query}`)).data;
  } catch (err) {
    if (err.status === 404 || err.status === 405 || err.status === 501) return null;
    throw err;
  }
}
