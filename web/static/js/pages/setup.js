import { initTheme } from '../ui.js';
import { ApiError, postJson } from '../api.js';

initTheme();

const form = document.getElementById('setup-form');
const error = document.getElementById('setup-error');
const submit = document.getElementById('setup-submit');
const fill = document.getElementById('strength-fill');
const rulesList = document.getElementById('strength-rules');
const token = new URLSearchParams(location.search).get('token') || '';
// The token is in the URL only until this page has read it.
history.replaceState(null, '', '/setup');

// Mirrors accounts::password_problems on the server (which has the final word).
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
  const r = rules(form.password.value, form.username.value.trim());
  const met = r.filter(([, ok]) => ok).length;
  rulesList.replaceChildren(...r.map(([text, ok]) => {
    const li = document.createElement('li');
    li.textContent = text;
    if (ok) li.className = 'met';
    return li;
  }));
  fill.style.width = `${(met / r.length) * 100}%`;
  fill.className = `meter-fill ${met === r.length ? 'ok' : met >= 2 ? 'mid' : ''}`;
  return met === r.length;
}

form.password.addEventListener('input', renderStrength);
form.username.addEventListener('input', renderStrength);
renderStrength();

function showError(msg) {
  error.textContent = msg;
  error.hidden = false;
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.hidden = true;
  if (!renderStrength()) return showError('Choose a stronger password (see the rules above).');
  if (form.password.value !== form.confirm.value) return showError('The passwords do not match.');
  submit.disabled = true;
  try {
    await postJson('/setup', {
      token,
      username: form.username.value.trim(),
      password: form.password.value,
      confirm: form.confirm.value,
    }, { redirectOnExpiry: false });
    location.assign('/login?created=1');
  } catch (e) {
    showError(e instanceof ApiError ? e.message : 'Cannot reach the server.');
  } finally {
    submit.disabled = false;
  }
});
