import { initTheme, toast } from '../ui.js';
import { ApiError, postJson } from '../api.js';

initTheme();
if (new URLSearchParams(location.search).has('created')) {
  toast('Admin account created. Log in to continue.', 'success', 6000);
}

const form = document.getElementById('login-form');
const error = document.getElementById('login-error');
const submit = document.getElementById('login-submit');

function nextPath() {
  const next = new URLSearchParams(location.search).get('next');
  return next && next.startsWith('/') && !next.startsWith('//') && !next.includes('\\') ? next : null;
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.hidden = true;
  submit.disabled = true;
  try {
    const r = await postJson('/auth/login', {
      username: form.username.value,
      password: form.password.value,
    }, { redirectOnExpiry: false });
    location.assign(nextPath() || r.redirect || '/apikey');
  } catch (e) {
    error.textContent = e instanceof ApiError ? e.message : 'Cannot reach the server.';
    error.hidden = false;
    form.password.value = '';
    form.password.focus();
  } finally {
    submit.disabled = false;
  }
});
