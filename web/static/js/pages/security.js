// Security (administrators): bans, invalid-key attempts, manual ban and unban, settings.
import { initShell } from '../app.js';
import { confirmDialog, toast } from '../ui.js';
import { getJson, postJson } from '../api.js';

const $ = (id) => document.getElementById(id);
const when = (ms) => (ms == null ? '' : new Date(ms).toLocaleString());

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function button(label, cls, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `btn btn-small ${cls}`;
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

function fill(table, rows, emptyId) {
  $(table).querySelector('tbody').replaceChildren(...rows);
  $(table).hidden = rows.length === 0;
  $(emptyId).hidden = rows.length > 0;
}

async function unban(ip) {
  const ok = await confirmDialog({ title: `Unban ${ip}?`, body: 'Requests from this address are served again at once.', confirmLabel: 'Unban' });
  if (!ok) return;
  try {
    toast((await postJson('/security/api/unban', { ip })).message, 'success');
  } catch (e) {
    toast(e.message, 'error');
  }
  load();
}

function render(d) {
  fill('bans-table', d.bans.map((b) => {
    const tr = document.createElement('tr');
    tr.dataset.ip = b.ip_address;
    const actions = document.createElement('td');
    actions.className = 'actions';
    actions.append(button('Unban', 'btn-ghost unban', () => unban(b.ip_address)));
    const expires = b.is_permanent ? 'permanent' : `${when(b.expires_at)}${b.active ? '' : ' (expired)'}`;
    tr.append(cell(b.ip_address, 'mono'), cell(b.ban_reason), cell(when(b.banned_at)), cell(expires),
      cell(b.ban_count, 'num'), cell(b.created_by), actions);
    return tr;
  }), 'bans-empty');
  fill('attempts-table', d.attempts.map((a) => {
    const tr = document.createElement('tr');
    const actions = document.createElement('td');
    actions.className = 'actions';
    actions.append(button('Ban', 'btn-danger', () => {
      $('ban-ip').value = a.ip_address;
      $('ban-reason').value = `${a.attempt_count} invalid API keys`;
      $('ban-ip').focus();
    }));
    tr.append(cell(a.ip_address, 'mono'), cell(a.attempt_count, 'num'), cell(when(a.first_attempt_at)),
      cell(when(a.last_attempt_at)), actions);
    return tr;
  }), 'attempts-empty');
  const s = d.settings;
  const items = [
    ['Auto-ban', s.auto_ban_enabled ? 'on' : 'off'],
    ['Threshold (invalid keys / 24 h)', s.api_threshold],
    ['Ban duration', s.api_ban_duration_hours === 0 ? 'permanent' : `${s.api_ban_duration_hours} h`],
    ['Repeat-offender limit', `${s.repeat_offender_limit} bans → permanent`],
    ['Trust proxy headers', s.trust_proxy_headers ? 'yes' : 'no'],
  ];
  $('settings').replaceChildren(...items.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = String(v);
    return [dt, dd];
  }));
}

async function load() {
  try {
    render(await getJson('/security/api/data'));
  } catch (e) {
    toast(e.message, 'error');
  }
}

$('ban-permanent').addEventListener('change', () => { $('ban-hours').disabled = $('ban-permanent').checked; });
$('ban-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('ban-error').textContent = '';
  const body = { ip: $('ban-ip').value.trim(), reason: $('ban-reason').value.trim() };
  if ($('ban-permanent').checked) body.permanent = true;
  else body.hours = Number($('ban-hours').value);
  try {
    const r = await postJson('/security/api/ban', body);
    toast(r.message, 'success');
    $('ban-ip').value = '';
    $('ban-reason').value = '';
    load();
  } catch (e) {
    $('ban-error').textContent = e.message;
  }
});

initShell();
load();
