// The keys table: filter, search, sort and paging are done by the server, so a pool of
// 10 000 keys costs the page one screenful of rows. The view lives in the URL hash, so a
// reload (or a shared link) opens the same page of the same filter.

import * as api from './api.js';
import { $, $$, h, show, debounce } from './dom.js';
import { COLUMNS, keyRow, messageRow } from './key-rows.js';
import { fmtInt } from './format.js';
import { confirmAction, toast, reportError, copyText } from './feedback.js';
import { t } from '../i18n.js';

const DEFAULTS = { page: 1, limit: 100, status: 'all', q: '', sort: 'id', order: 'asc' };
const PAGE_SIZES = [50, 100, 200, 500];
const query = readHash();
const selected = new Set();
let data = null;
let sequence = 0;
let hooks = {};

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const out = { ...DEFAULTS };
  for (const name of Object.keys(DEFAULTS)) if (params.has(name)) out[name] = params.get(name);
  out.page = Math.max(1, Number(out.page) || 1);
  out.limit = PAGE_SIZES.includes(Number(out.limit)) ? Number(out.limit) : DEFAULTS.limit;
  return out;
}

function writeHash() {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== DEFAULTS[name]) params.set(name, value);
  const hash = params.toString();
  history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
}

// hooks: onChanged() after keys change, onShowKey(key) for the chart, onCheck(ids).
export function init(callbacks) {
  hooks = callbacks;
  $('#page-size').value = String(query.limit);
  $('#key-search').value = query.q;
  for (const button of $$('#status-filter button')) {
    button.addEventListener('click', () => setQuery({ status: button.dataset.status, page: 1 }));
  }
  $('#key-search').addEventListener('input', debounce((e) => setQuery({ q: e.target.value.trim(), page: 1 }), 250));
  $('#page-size').addEventListener('change', (e) => setQuery({ limit: Number(e.target.value), page: 1 }));
  $('#page-prev').addEventListener('click', () => setQuery({ page: query.page - 1 }));
  $('#page-next').addEventListener('click', () => setQuery({ page: query.page + 1 }));
  $('#page-input').addEventListener('change', (e) => setQuery({ page: Number(e.target.value) || 1 }));
  $('#keys-refresh').addEventListener('click', () => load());
  bindTable();
  bindSelectionBar();
}

function setQuery(change) {
  Object.assign(query, change);
  query.page = Math.max(1, query.page);
  writeHash();
  load();
}

// The server searches the masked form (AIzaSy…WXYZ), which keeps only a key's last four
// characters: a longer input, such as a whole pasted key, is cut down to those.
function searchTerm(text) {
  return text.includes('…') ? text : text.slice(-4);
}

export async function load() {
  const mine = ++sequence;
  $('#keys-card').classList.add('is-loading');
  try {
    const response = await api.listKeys({ ...query, q: searchTerm(query.q) });
    if (mine !== sequence) return; // a newer request superseded this one
    data = response;
    const pages = Math.max(1, Math.ceil(data.total / query.limit));
    if (query.page > pages) return setQuery({ page: pages });
    render();
    hooks.onCounts?.(data.counts);
  } catch (err) {
    if (mine === sequence) reportError(err);
  } finally {
    if (mine === sequence) $('#keys-card').classList.remove('is-loading');
  }
}

export function render() {
  renderHead();
  renderFilters();
  if (!data) {
    $('#keys-body').replaceChildren(messageRow(t('loading')));
    return;
  }
  const rows = data.keys.map((key) => keyRow(key, selected.has(key.id)));
  const empty = data.counts?.total ? t('empty_filter') : t('empty_pool');
  $('#keys-body').replaceChildren(...(rows.length ? rows : [messageRow(empty)]));
  renderPager();
  renderSelection();
}

function renderHead() {
  const cells = COLUMNS.map((col) => {
    const label = t(col.label);
    if (!col.sort) return h('th', { scope: 'col', class: col.numeric ? 'num' : null }, label);
    const active = query.sort === col.sort;
    const dir = active ? (query.order === 'asc' ? 'ascending' : 'descending') : null;
    return h('th', { scope: 'col', class: col.numeric ? 'num' : null, 'aria-sort': dir },
      h('button', { type: 'button', class: 'sort-btn', dataset: { sort: col.sort }, title: t('sort_by', { col: label }) },
        label, h('span', { class: `sort-arrow${active ? ` ${query.order}` : ''}`, 'aria-hidden': 'true' })));
  });
  const all = h('input', { type: 'checkbox', id: 'select-page', 'aria-label': t('select_page') });
  $('#keys-head').replaceChildren(h('tr', {}, h('th', { class: 'col-select' }, all), cells,
    h('th', { class: 'col-actions' }, h('span', { class: 'sr-only' }, t('col_actions')))));
}

function renderFilters() {
  for (const button of $$('#status-filter button')) {
    const status = button.dataset.status;
    button.setAttribute('aria-pressed', String(status === query.status));
    const count = data?.counts?.[status === 'all' ? 'total' : status];
    $('.count', button).textContent = count == null ? '' : fmtInt(count);
  }
}

function renderPager() {
  const pages = Math.max(1, Math.ceil(data.total / query.limit));
  const from = data.total ? (query.page - 1) * query.limit + 1 : 0;
  const to = Math.min(data.total, query.page * query.limit);
  $('#pager-range').textContent = t('pager_range', { from, to, total: data.total });
  $('#page-input').value = String(query.page);
  $('#page-input').max = String(pages);
  $('#page-count').textContent = t('pager_of', { n: pages });
  $('#page-prev').disabled = query.page <= 1;
  $('#page-next').disabled = query.page >= pages;
}

function bindTable() {
  $('#keys-head').addEventListener('click', (e) => {
    const button = e.target.closest('.sort-btn');
    if (!button) return;
    const sort = button.dataset.sort;
    // Counters read best largest first; id and status read best in order.
    const firstOrder = sort === 'id' || sort === 'status' ? 'asc' : 'desc';
    const order = query.sort === sort ? (query.order === 'asc' ? 'desc' : 'asc') : firstOrder;
    setQuery({ sort, order, page: 1 });
  });
  $('#keys-head').addEventListener('change', (e) => {
    if (e.target.id !== 'select-page') return;
    for (const key of data?.keys ?? []) {
      if (e.target.checked) selected.add(key.id);
      else selected.delete(key.id);
    }
    render();
  });
  $('#keys-body').addEventListener('change', (e) => {
    const row = e.target.closest('tr[data-id]');
    if (!row || !e.target.classList.contains('row-check')) return;
    const id = Number(row.dataset.id);
    if (e.target.checked) selected.add(id);
    else selected.delete(id);
    row.classList.toggle('selected', e.target.checked);
    renderSelection();
  });
  $('#keys-body').addEventListener('click', async (e) => {
    const button = e.target.closest('button[data-action]');
    if (!button) return;
    const key = data.keys.find((k) => k.id === Number(button.closest('tr').dataset.id));
    if (!key) return;
    if (button.dataset.action === 'chart') hooks.onShowKey?.({ id: key.id, masked: key.masked });
    if (button.dataset.action === 'copy') {
      const ok = await copyText(key.masked);
      toast(ok ? t('toast_copied', { masked: key.masked }) : t('toast_copy_failed'), ok ? 'info' : 'error');
    }
  });
}

function renderSelection() {
  const onPage = data?.keys ?? [];
  const picked = onPage.filter((k) => selected.has(k.id)).length;
  const all = $('#select-page');
  all.checked = onPage.length > 0 && picked === onPage.length;
  all.indeterminate = picked > 0 && picked < onPage.length;
  show($('#selection-bar'), selected.size > 0);
  $('#selection-count').textContent = t('sel_count', { n: selected.size });
}

export function forget(ids) {
  for (const id of ids) selected.delete(id);
}

function bindSelectionBar() {
  const ids = () => [...selected];
  $('#sel-clear').addEventListener('click', () => {
    selected.clear();
    render();
  });
  $('#sel-check').addEventListener('click', () => hooks.onCheck?.(ids()));
  $('#sel-enable').addEventListener('click', () => bulk('enable', ids()));
  $('#sel-disable').addEventListener('click', () => bulk('disable', ids()));
  $('#sel-delete').addEventListener('click', () => bulk('delete', ids()));
}

async function bulk(kind, ids) {
  if (!ids.length) return;
  const confirmed = await confirmAction({
    title: t(`confirm_${kind}_title`, { n: ids.length }),
    body: t(`confirm_${kind}_body`),
    action: t(`sel_${kind}`),
    danger: kind !== 'enable',
  });
  if (!confirmed) return;
  try {
    if (kind === 'delete') {
      const result = await api.deleteKeys(ids);
      forget(ids);
      toast(t('toast_deleted', { n: result.deleted ?? ids.length }), 'success');
    } else {
      const result = await api.setEnabled(ids, kind === 'enable');
      toast(t('toast_updated', { n: result.updated ?? ids.length }), 'success');
    }
  } catch (err) {
    reportError(err);
  }
  hooks.onChanged?.();
}
