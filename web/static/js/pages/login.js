// @ts-check
import { initTheme, toast } from '../ui.js';
import { ApiError, postJson } from '../api.js';
import { $, showMessage } from '../dom.js';

initTheme();
if (new URLSearchParams(location.search).has('created')) {
  toast('Admin account created. Log in to continue.', 'success', 6000);
}

const form = $('login-form', HTMLFormElement);
const username = $('username', HTMLInputElement);
const password = $('password', HTMLInputElement);
const error = $('login-error');
const submit = $('login-submit', HTMLButtonElement);

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.hidden = true;
  submit.disabled = true;
  try {
    // The server decides whether `next` stays on this origin; only its answer is followed.
    /** @type {{ redirect: string }} */
    const r = await postJson('/auth/login', {
      username: username.value,
      password: password.value,
      next: new URLSearchParams(location.search).get('next'),
    }, { redirectOnExpiry: false });
    location.assign(r.redirect);
  } catch (e) {
    showMessage(error, e instanceof ApiError ? e.message : 'Cannot reach the server.');
    password.value = '';
    password.focus();
  } finally {
    submit.disabled = false;
  }
});
