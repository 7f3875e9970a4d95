// Talking to the server over the session: CSRF token, JSON requests, session expiry.

let csrf = null;

export async function csrfToken(refresh = false) {
  if (csrf && !refresh) return csrf;
  const res = await fetch('/auth/csrf-token', {
    headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store',
  });
  csrf = (await res.json()).csrf_token;
  return csrf;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.message || body.error)) || `Request failed (${status})`);
    this.status = status;
    this.body = body;
  }
}

function toLogin() {
  const next = encodeURIComponent(location.pathname);
  location.assign(`/login?next=${next}`);
}

async function handle(res, { redirectOnExpiry = true } = {}) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (res.status === 401 && body && body.error === 'session_expired' && redirectOnExpiry) {
    toLogin();
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

export async function getJson(url) {
  const res = await fetch(url, {
    headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store',
  });
  return handle(res);
}

export async function postJson(url, data = {}, opts = {}) {
  return sendJson('POST', url, data, opts);
}

/** A state-changing request with the session's CSRF token (POST, DELETE, ...). */
export async function sendJson(method, url, data = {}, opts = {}) {
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
  return handle(res, opts);
}
