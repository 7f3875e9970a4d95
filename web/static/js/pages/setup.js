// @ts-check
import { initTheme } from '../ui.js';
import { ApiError, postJson } from '../api.js';
import { $, el, showMessage } from '../dom.js';

initTheme();

const form = $('setup-form', HTMLFormElement);
const username = $('username', HTMLInputElement);
const password = $('password', HTMLInputElement);
const confirmation = $('confirm', HTMLInputElement);
const error = $('setup-error');
const submit = $('setup-submit', HTMLButtonElement);
const fill = $('strength-fill');
const rulesList = $('strength-rules');
const token = new URLSearchParams(location.search).get('token') || '';
// The token is in the URL only until this page has read it.
history.replaceState(null, '', '/setup');

/**
 * Mirrors accounts::password_problems on the server (which has the final word).
 * @param {string} pw
 * @param {string} user
 * @returns {Array<[string, boolean]>}
 */
function rules(pw, user) {
  const classes = [/\p{Ll}/u, /\p{Lu}/u, /[0-9]/, /[^\p{L}\p{N}]/u].filter((r) => r.test(pw)).length;
  return [
    ['At least 10 characters', [...pw].length >= 10],
    ['Three of: lowercase, uppercase, digits, symbols', classes >= 3],
    ['Not containing the username', !user || !pw.toLowerCase().includes(user.toLowerCase())],
    ['At least 5 different characters', new Set(pw).size >= 5],
  ];
}

function renderStrength() {
  const r = rules(password.value, username.value.trim());
  const met = r.filter(([, ok]) => ok).length;
  rulesList.replaceChildren(...r.map(([text, ok]) => el('li', ok ? 'met' : '', text)));
  fill.style.width = `${(met / r.length) * 100}%`;
  fill.className = `meter-fill ${met === r.length ? 'ok' : met >= 2 ? 'mid' : ''}`;
  return met === r.length;
}

password.addEventListener('input', renderStrength);
username.addEventListener('input', renderStrength);
renderStrength();

/** @param {string} msg */
function showError(msg) {
  showMessage(error, msg);
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.hidden = true;
  if (!renderStrength()) return showError('Choose a stronger password (see the rules above).');
  if (password.value !== confirmation.value) return showError('The passwords do not match.');
  submit.disabled = true;
  try {
    await postJson('/setup', {
      token,
      username: username.value.trim(),
      password: password.value,
      confirm: confirmation.value,
    }, { redirectOnExpiry: false });
    location.assign('/login?created=1');
  } catch (e) {
    showError(e instanceof ApiError ? e.message : 'Cannot reach the server.');
  } finally {
    submit.disabled = false;
  }
});
