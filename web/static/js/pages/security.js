// @ts-check
// Security (administrators): bans, invalid-key attempts, manual ban and unban, settings.
import { initShell } from '../app.js';
import { confirmDialog, toast } from '../ui.js';
import { errorMessage, getJson, postJson } from '../api.js';
import { $, cell, dateTime as when, el, fillDefinitions, fillTable, rowButton } from '../dom.js';

/** @import { Outcome } from '../api.js' */

// GET /security/api/data (security_page.rs); times are milliseconds since the epoch.
/**
 * @typedef {{ ip_address: string, ban_reason: string, ban_count: number, banned_at: number,
 *   expires_at: number | null, is_permanent: boolean, created_by: string, active: boolean }} Ban
 * @typedef {{ ip_address: string, attempt_count: number, first_attempt_at: number,
 *   last_attempt_at: number }} Attempts
 * @typedef {{ auto_ban_enabled: boolean, api_threshold: number, api_ban_duration_hours: number,
 *   repeat_offender_limit: number, trust_proxy_headers: boolean }} Settings
 * @typedef {{ domains: string[], directory: string, not_after: number | null,
 *   last_renewal: number | null, next_renewal: number | null, last_error: string | null,
 *   last_error_at: number | null }} Acme
 * @typedef {{ mode: 'off' | 'files' | 'acme', names?: string[], not_after?: number | null,
 *   acme?: Acme | null }} Tls
 * @typedef {{ bans: Ban[], attempts: Attempts[], settings: Settings, tls: Tls }} SecurityData
 */

const banIp = $('ban-ip', HTMLInputElement);
const banReason = $('ban-reason', HTMLInputElement);
const banHours = $('ban-hours', HTMLInputElement);
const banPermanent = $('ban-permanent', HTMLInputElement);

/** @param {string} ip */
async function unban(ip) {
  const ok = await confirmDialog({ title: `Unban ${ip}?`, body: 'Requests from this address are served again at once.', confirmLabel: 'Unban' });
  if (!ok) return;
  try {
    /** @type {Outcome} */
    const r = await postJson('/security/api/unban', { ip });
    toast(r.message ?? '', 'success');
  } catch (e) {
    toast(errorMessage(e), 'error');
  }
  load();
}

/** @param {SecurityData} d */
function render(d) {
  fillTable('bans-table', d.bans.map((b) => {
    const tr = el('tr', { 'data-ip': b.ip_address });
    const actions = el('td', 'actions', rowButton('Unban', 'btn-ghost unban', () => unban(b.ip_address)));
    const expires = b.is_permanent ? 'permanent' : `${when(b.expires_at)}${b.active ? '' : ' (expired)'}`;
    tr.append(cell(b.ip_address, 'mono'), cell(b.ban_reason), cell(when(b.banned_at)), cell(expires),
      cell(b.ban_count, 'num'), cell(b.created_by), actions);
    return tr;
  }), 'bans-empty');
  fillTable('attempts-table', d.attempts.map((a) => {
    const tr = el('tr');
    const actions = el('td', 'actions', rowButton('Ban', 'btn-danger', () => {
      banIp.value = a.ip_address;
      banReason.value = `${a.attempt_count} invalid API keys`;
      banIp.focus();
    }));
    tr.append(cell(a.ip_address, 'mono'), cell(a.attempt_count, 'num'), cell(when(a.first_attempt_at)),
      cell(when(a.last_attempt_at)), actions);
    return tr;
  }), 'attempts-empty');
  const s = d.settings;
  /** @type {Array<[string, string | number]>} */
  const items = [
    ['Auto-ban', s.auto_ban_enabled ? 'on' : 'off'],
    ['Threshold (invalid keys / 24 h)', s.api_threshold],
    ['Ban duration', s.api_ban_duration_hours === 0 ? 'permanent' : `${s.api_ban_duration_hours} h`],
    ['Repeat-offender limit', `${s.repeat_offender_limit} bans → permanent`],
    ['Trust proxy headers', s.trust_proxy_headers ? 'yes' : 'no'],
  ];
  fillDefinitions('settings', items);
  fillDefinitions('tls', tlsItems(d.tls));
}

/**
 * @param {Tls} t
 * @returns {Array<[string, string | number]>}
 */
function tlsItems(t) {
  if (t.mode === 'off') return [['HTTPS', 'off (plain HTTP)']];
  /** @param {number | null | undefined} ms */
  const at = (ms) => (ms == null ? '—' : when(ms));
  /** @type {Array<[string, string | number]>} */
  const items = [
    ['Certificate', t.mode === 'acme' ? 'automatic (ACME)' : 'from files (reloaded on change)'],
    ['Names', (t.names ?? []).join(', ') || '—'],
    ['Expires', at(t.not_after)],
  ];
  const a = t.acme;
  if (a) {
    items.push(['Domains', a.domains.join(', ')], ['CA directory', a.directory],
      ['Last renewal', at(a.last_renewal)], ['Next renewal', at(a.next_renewal)],
      ['Last error', a.last_error ? `${a.last_error} (${at(a.last_error_at)})` : 'none']);
  }
  return items;
}

async function load() {
  try {
    render(await getJson('/security/api/data'));
  } catch (e) {
    toast(errorMessage(e), 'error');
  }
}

banPermanent.addEventListener('change', () => { banHours.disabled = banPermanent.checked; });
$('ban-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('ban-error').textContent = '';
  /** @type {{ ip: string, reason: string, permanent?: true, hours?: number }} */
  const body = { ip: banIp.value.trim(), reason: banReason.value.trim() };
  if (banPermanent.checked) body.permanent = true;
  else body.hours = Number(banHours.value);
  try {
    /** @type {Outcome} */
    const r = await postJson('/security/api/ban', body);
    toast(r.message ?? '', 'success');
    banIp.value = '';
    banReason.value = '';
    load();
  } catch (e) {
    $('ban-error').textContent = errorMessage(e);
  }
});

initShell();
load();
