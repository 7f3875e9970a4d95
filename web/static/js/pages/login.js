import { initTheme, toast } from '../ui.js';
import { ApiError, postJson } from '../api.js';

initTheme();
if (new URLSearchParams(location.search).has('created')) {
  toast('Admin account created. Log in to continue.', 'success', 6000);
}

const form = document.getElementById('login-form');
const error = document.getElementById('login-error');
const submit = document.getElementById('login-submit');

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.hidden = true;
  submit.disabled = true;
  try {
    // The server decides whether `next` stays on this origin; only its answer is followed.
    const r = await postJson('/auth/login', {
      username: form.username.value,
      password: form.password.value,
      next: new URLSearchParams(location.search).get('next'),
    }, { redirectOnExpiry: false });
    location.assign(r.redirect);
  } catch (e) {
    error.textContent = e instanceof ApiError ? e.message : 'Cannot reach the server.';
    error.hidden = false;
    form.password.value = '';
    form.password.focus();
  } finally {
    submit.disabled = false;
  }
});
