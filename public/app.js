// Entry point: decides between the login form and the console, and wires the panels together.

import * as api from './js/api.js';
import { $, h, show } from './js/dom.js';
import { reportError } from './js/feedback.js';
import * as overview from './js/overview.js';
import * as table from './js/keys-table.js';
import * as adder from './js/add-keys.js';
import * as check from './js/check.js';
import { t, lang, setLang, applyStatic } from './i18n.js';

let started = false;
let loginNotice = null; // {title?, text, kind} shown above the login form

// After any change to the pool: every view that shows keys or counts asks again.
function refreshAll() {
  table.load();
  overview.load();
  check.loadDead();
}

function startConsole() {
  show($('#login-view'), false);
  show($('#app-view'), true);
  show($('#logout'), true);
  if (!started) {
    started = true;
    overview.init();
    table.init({ onChanged: refreshAll, onShowKey: overview.showKey, onCheck: check.start, onCounts: overview.setCounts });
    adder.init({ onAdded: refreshAll });
    adder.render();
    table.render();
    check.init({ onChanged: refreshAll, onDeleted: table.forget });
  }
  refreshAll();
}

function showLogin(notice = null) {
  loginNotice = notice;
  show($('#app-view'), false);
  show($('#logout'), false);
  show($('#login-view'), true);
  renderLoginNotice();
  ($('#login-retry').hidden ? $('#login-token') : $('#login-retry')).focus();
}

function renderLoginNotice() {
  const box = $('#login-notice');
  show(box, Boolean(loginNotice));
  if (!loginNotice) {
    show($('#login-fields'), true);
    show($('#login-retry'), false);
    return;
  }
  box.className = `notice notice-${loginNotice.kind}`;
  $('#login-notice-title').textContent = loginNotice.title ? t(loginNotice.title) : '';
  show($('#login-notice-title'), Boolean(loginNotice.title));
  // Server messages are shown as sent (they say how to set the token); our own are keys.
  withCode($('#login-notice-text'), loginNotice.raw ?? t(loginNotice.text));
  // Without a configured token there is nothing to type in; offer a retry after setting it.
  const unset = loginNotice.title === 'login_unset_title';
  show($('#login-fields'), !unset);
  show($('#login-retry'), unset);
}

// Shows `quoted` parts of a message (commands, file names) as code.
function withCode(el, text) {
  el.replaceChildren(...text.split('`').map((part, i) => (i % 2 ? h('code', {}, part) : part)));
}

function noticeFor(err) {
  if (err.code === 'admin_token_unset') return { title: 'login_unset_title', raw: err.message, kind: 'warn' };
  if (err.status === 401) return { text: 'login_wrong', kind: 'error' };
  if (err.status === 0) return { raw: t('toast_network', { msg: err.message }), kind: 'error' };
  return { raw: err.message, kind: 'error' };
}

async function onLogin(event) {
  event.preventDefault();
  const input = $('#login-token');
  const button = $('#login-submit');
  if (!input.value.trim()) return showLogin({ text: 'login_empty', kind: 'error' });
  button.disabled = true;
  button.textContent = t('login_busy');
  try {
    await api.session.login(input.value.trim());
    input.value = ''; // the cookie carries the session from here on
    loginNotice = null;
    startConsole();
  } catch (err) {
    showLogin(noticeFor(err));
    input.select();
  } finally {
    button.disabled = false;
    button.textContent = t('login_submit');
  }
}

async function onLogout() {
  try {
    await api.session.logout();
  } catch (err) {
    reportError(err);
  }
  // A full reload drops every key row and cached answer from memory.
  location.reload();
}

function switchLanguage() {
  setLang(lang() === 'zh' ? 'en' : 'zh');
  applyStatic();
  renderLoginNotice();
  if (!started) return;
  overview.render();
  table.render();
  adder.render();
  check.rerender();
}

async function boot() {
  applyStatic();
  $('#lang-switch').addEventListener('click', switchLanguage);
  $('#logout').addEventListener('click', onLogout);
  $('#login-form').addEventListener('submit', onLogin);
  $('#login-retry').addEventListener('click', () => location.reload());
  api.setUnauthorizedHandler(() => showLogin({ text: 'login_expired', kind: 'warn' }));
  try {
    await api.session.check();
    startConsole();
  } catch (err) {
    showLogin(err.status === 401 ? null : noticeFor(err));
  }
}

boot();
