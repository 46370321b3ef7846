// Bulk add: count the keys in the pasted text as the user types, send them in batches, show
// what the server did with them. The textarea is emptied after a successful add so no full
// key stays in the page.

import * as api from './api.js';
import { $, h, show, debounce } from './dom.js';
import { parseKeys, batches } from './parse-keys.js';
import { reportError } from './feedback.js';
import { t } from '../i18n.js';

const MAX_REJECTED_SHOWN = 200;
let parsed = { keys: [], repeated: 0, malformed: [] };
let result = null;
let busy = null; // {done, total} while sending
let onAdded = () => {};

export function init(callbacks) {
  onAdded = callbacks.onAdded;
  const input = $('#add-input');
  // Parsing a 10 000-line paste takes a few milliseconds; waiting for a pause keeps typing smooth.
  input.addEventListener('input', debounce(() => {
    parsed = parseKeys(input.value);
    render();
  }, 120));
  $('#add-clear').addEventListener('click', () => {
    input.value = '';
    parsed = parseKeys('');
    result = null;
    render();
    input.focus();
  });
  $('#add-form').addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
}

async function submit() {
  parsed = parseKeys($('#add-input').value);
  const entries = [...parsed.keys, ...parsed.malformed];
  if (!entries.length || busy) return render();
  const sum = { added: 0, duplicates: parsed.repeated, rejected: 0, rejected_items: [], total: null };
  busy = { done: 0, total: entries.length };
  render();
  try {
    for (const batch of batches(entries)) {
      const answer = await api.addKeys(batch);
      sum.added += answer.added ?? 0;
      sum.duplicates += answer.duplicates ?? 0;
      sum.rejected += answer.rejected ?? 0;
      sum.rejected_items.push(...(answer.rejected_items ?? []));
      sum.total = answer.total ?? sum.total;
      busy.done += batch.length;
      render();
    }
    $('#add-input').value = '';
    parsed = parseKeys('');
  } catch (err) {
    reportError(err);
  }
  // After a failure part-way, the batches that did go in are still worth reporting.
  const sent = busy.done;
  busy = null;
  result = sent ? sum : null;
  render();
  if (sent) onAdded();
}

export function render() {
  renderPreview();
  const button = $('#add-submit');
  const n = parsed.keys.length;
  button.disabled = Boolean(busy) || n + parsed.malformed.length === 0;
  button.textContent = busy ? t('add_busy', busy) : n ? t('add_submit', { n }) : t('add_submit_none');
  $('#add-input').readOnly = Boolean(busy);
  renderResult();
}

function renderPreview() {
  const parts = [];
  if (parsed.keys.length) parts.push(h('span', { class: 'pill pill-ok' }, t('add_found', { n: parsed.keys.length })));
  if (parsed.repeated) parts.push(h('span', { class: 'pill' }, t('add_repeated', { n: parsed.repeated })));
  if (parsed.malformed.length) parts.push(h('span', { class: 'pill pill-bad' }, t('add_malformed', { n: parsed.malformed.length })));
  if (!parts.length) parts.push(h('span', { class: 'muted' }, t('add_none')));
  $('#add-preview').replaceChildren(...parts);
}

function renderResult() {
  const box = $('#add-result');
  show(box, Boolean(result));
  if (!result) return;
  const summary = h('p', { class: 'result-line' },
    h('span', { class: 'pill pill-ok' }, t('add_added', { n: result.added })),
    h('span', { class: 'pill' }, t('add_duplicates', { n: result.duplicates })),
    h('span', { class: result.rejected ? 'pill pill-bad' : 'pill' }, t('add_rejected', { n: result.rejected })));
  const parts = [summary];
  if (result.total != null) parts.push(h('p', { class: 'muted' }, t('add_pool_total', { n: result.total })));
  if (result.rejected_items.length) {
    const items = result.rejected_items.slice(0, MAX_REJECTED_SHOWN);
    const more = result.rejected_items.length - items.length;
    parts.push(h('details', { class: 'rejected', open: true },
      h('summary', {}, t('add_rejected_items')),
      h('ul', { class: 'mono' }, items.map((item) => h('li', {}, item)), more > 0 ? h('li', { class: 'muted' }, `+${more}`) : null)));
  }
  box.replaceChildren(...parts);
}
