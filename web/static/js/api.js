// @ts-check
// Talking to the server over the session: CSRF token, JSON requests, session expiry.

/**
 * `GET /apikey` (JSON): the session user's key, order mode and name.
 * @typedef {{ api_key: string | null, order_mode: 'auto' | 'semi_auto', login_username: string }} ApiKeyInfo
 */

/**
 * The usual answer of a state-changing request.
 * @typedef {{ status?: string, message?: string, error?: string }} Outcome
 */

/** @type {string | null} */
let csrf = null;

export async function csrfToken(refresh = false) {
  if (csrf && !refresh) return csrf;
  const res = await fetch('/auth/csrf-token', {
    headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store',
  });
  const token = /** @type {{ csrf_token: string }} */ (await res.json()).csrf_token;
  csrf = token;
  return token;
}

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {Outcome | null} body the response's JSON, if any
   */
  constructor(status, body) {
    super((body && (body.message || body.error)) || `Request failed (${status})`);
    this.status = status;
    this.body = body;
  }
}

/**
 * The message of whatever was thrown.
 * @param {unknown} e
 */
export function errorMessage(e) {
  return e instanceof Error ? e.message : String(e);
}

function toLogin() {
  const next = encodeURIComponent(location.pathname);
  location.assign(`/login?next=${next}`);
}

/**
 * @param {Response} res
 * @param {{ redirectOnExpiry?: boolean }} [opts]
 * @returns {Promise<unknown>}
 */
async function handle(res, { redirectOnExpiry = true } = {}) {
  /** @type {Outcome | null} */
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (res.status === 401 && body && body.error === 'session_expired' && redirectOnExpiry) {
    toLogin();
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

/**
 * A GET of JSON over the session. T, the body's shape, comes from the type the caller
 * gives the result; it is the server's promise, not checked here.
 * @template T
 * @param {string} url
 * @returns {Promise<T>}
 */
export async function getJson(url) {
  const res = await fetch(url, {
    headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store',
  });
  return /** @type {T} */ (await handle(res));
}

/**
 * A POST of JSON with the session's CSRF token.
 * @template T
 * @param {string} url
 * @param {unknown} [data]
 * @param {{ redirectOnExpiry?: boolean }} [opts]
 * @returns {Promise<T>}
 */
export async function postJson(url, data = {}, opts = {}) {
  return sendJson('POST', url, data, opts);
}

/**
 * A state-changing request with the session's CSRF token (POST, DELETE, ...).
 * @template T
 * @param {string} method
 * @param {string} url
 * @param {unknown} [data]
 * @param {{ redirectOnExpiry?: boolean }} [opts]
 * @returns {Promise<T>}
 */
export async function sendJson(method, url, data = {}, opts = {}) {
  /** @param {string} token */
  const send = async (token) => fetch(url, {
    method,
    credentials: 'same-origin',
    headers: {
      Accept: 'application/json', 'Content-Type': 'application/json', 'X-CSRFToken': token,
    },
    body: JSON.stringify(data),
  });
  let res = await send(await csrfToken());
  if (res.status === 403) {
    // The token may belong to an earlier session (e.g. after logging in elsewhere): retry once.
    res = await send(await csrfToken(true));
  }
  return /** @type {T} */ (await handle(res, opts));
}
