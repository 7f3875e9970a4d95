// Shell of the logged-in layout: theme, navigation, who am I, logout.
import { initNav, initTheme, toast } from './ui.js';
import { getJson, postJson } from './api.js';

/** Who is logged in: names the user and reveals the administrators' links. */
async function showWho(username) {
  const who = document.getElementById('whoami');
  if (who && username) who.textContent = username;
  try {
    const me = await getJson('/auth/me');
    if (who) who.textContent = me.username;
    const sec = document.getElementById('nav-security');
    if (sec) sec.hidden = !me.is_admin;
  } catch { /* an expired session redirects to the login page */ }
}

export function initShell({ username } = {}) {
  initTheme();
  initNav();
  showWho(username);
  const logout = document.getElementById('logout');
  if (logout) {
    logout.addEventListener('click', async () => {
      try {
        const r = await postJson('/auth/logout');
        location.assign(r.redirect || '/login');
      } catch (e) {
        toast(e.message, 'error');
      }
    });
  }
}
