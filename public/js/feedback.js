// Confirmation dialog and toasts. The dialog is a native <dialog>: it traps focus, closes on
// Escape and returns focus to the button that opened it, with no code of ours.

import { $, h } from './dom.js';
import { t } from '../i18n.js';

export function confirmAction({ title, body, action, danger = false }) {
  const dialog = $('#confirm-dialog');
  $('#confirm-title', dialog).textContent = title;
  $('#confirm-body', dialog).textContent = body;
  const ok = $('#confirm-ok', dialog);
  ok.textContent = action;
  ok.className = danger ? 'btn btn-danger' : 'btn btn-primary';
  dialog.returnValue = '';
  dialog.showModal();
  // Focus the safe choice first so a stray Enter does not delete anything.
  $('#confirm-cancel', dialog).focus();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

export function toast(message, kind = 'info') {
  const region = $('#toasts');
  const item = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  region.append(item);
  setTimeout(() => {
    item.classList.add('toast-leaving');
    setTimeout(() => item.remove(), 300);
  }, kind === 'error' ? 7000 : 3500);
}

// One place that turns an API failure into words; 401 is handled by the login screen.
export function reportError(err) {
  if (err?.status === 401) return;
  if (err?.status === 0) toast(t('toast_network', { msg: err.message }), 'error');
  else if (err?.status === 413) toast(t('add_too_many'), 'error');
  else toast(t('toast_error', { msg: err?.message ?? String(err) }), 'error');
}

// Clipboard access can be refused (no permission, insecure origin); fall back to a hidden
// textarea so "copy" works on plain http://127.0.0.1 too.
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { class: 'sr-only', 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    area.remove();
    return ok;
  }
}
