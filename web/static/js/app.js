// @ts-check
// Shell of the logged-in layout: theme, navigation, who am I, logout.
import { initNav, initTheme, toast } from './ui.js';
import { errorMessage, getJson, postJson } from './api.js';

/**
 * Who is logged in: names the user and reveals the administrators' links.
 * @param {string} [username] shown until `/auth/me` answers
 */
async function showWho(username) {
  const who = document.getElementById('whoami');
  if (who && username) who.textContent = username;
  try {
    /** @type {{ username: string, is_admin: boolean }} */
    const me = await getJson('/auth/me');
    if (who) who.textContent = me.username;
    const sec = document.getElementById('nav-security');
    if (sec) sec.hidden = !me.is_admin;
  } catch { /* an expired session redirects to the login page */ }
}

/** @type {EventSource | null} */
let events = null;

/** The Action Center's server-sent events (one connection per page). */
export function liveEvents() {
  if (!events) events = new EventSource('/action-center/events');
  return events;
}

/**
 * The pending-order count next to the Action Center link.
 * @param {number} n
 */
export function setBadge(n) {
  const b = document.getElementById('ac-badge');
  if (!b) return;
  b.textContent = String(n);
  b.hidden = !(n > 0);
}

function refreshBadge() {
  /** @type {Promise<{ count: number }>} */
  const count = getJson('/action-center/count');
  count.then((r) => setBadge(r.count), () => {});
}

function initBadge() {
  if (!document.getElementById('ac-badge')) return;
  refreshBadge();
  const es = liveEvents();
  es.addEventListener('pending_order_created', refreshBadge);
  es.addEventListener('pending_order_updated', refreshBadge);
  es.addEventListener('resync', refreshBadge);
}

/** @param {{ username?: string }} [who] the user's name, when the page already has it */
export function initShell({ username } = {}) {
  initTheme();
  initNav();
  initBadge();
  showWho(username);
  const logout = document.getElementById('logout');
  if (logout) {
    logout.addEventListener('click', async () => {
      try {
        /** @type {{ redirect?: string }} */
        const r = await postJson('/auth/logout');
        location.assign(r.redirect || '/login');
      } catch (e) {
        toast(errorMessage(e), 'error');
      }
    });
  }
}
