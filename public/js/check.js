// Health check: start a check job, follow its progress, then offer the dead keys for removal.
// The server disables dead keys and keeps rate-limited ones; this page only ever deletes keys
// that are disabled with a dead reason, so a rate-limited key is never offered.

import * as api from './api.js';
import { $, h, show } from './dom.js';
import { fmtWhen, fmtDuration, fmtPct, fmtInt } from './format.js';
import { confirmAction, toast, reportError } from './feedback.js';
import { t, tName } from '../i18n.js';

const POLL_MS = 500;
const DEAD_REASONS = new Set(['key_invalid', 'key_leaked', 'key_suspended', 'key_blocked']);
const SUMMARY = ['ok', 'rate_limited', 'dead', 'error'];
const GROUP_ORDER = ['ok', 'limited', 'dead', 'error'];
const DEAD_SHOWN = 5;
const PAGE = 500;
const DELETE_BATCH = 1000;

let job = null; // the last status object from the server
let dead = []; // [{id, masked, disabled_reason}]
let deadSequence = 0;
let following = false; // a start request or status polling is in flight
let hooks = {};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// hooks: onChanged() after keys changed (the page then reloads the table, the totals and
// loadDead()), onDeleted(ids) to drop deleted keys from the table's selection.
export async function init(callbacks) {
  hooks = callbacks;
  $('#check-all').addEventListener('click', () => start(null));
  $('#dead-remove').addEventListener('click', removeDead);
  try {
    job = await api.checkStatus();
  } catch (err) {
    if (err.status !== 404) reportError(err);
  }
  render();
  if (job?.running) follow(null, Promise.resolve(true)); // a check started elsewhere
}

// ids: the keys to check, or null for the whole pool.
export function start(ids) {
  if (job?.running || following) return;
  // Started from the table's selection bar, far from this panel: say so where the user is.
  if (ids) toast(t('toast_check_started', { n: ids.length }));
  const previous = job?.started_ms ?? null;
  job = null; // the last job's figures would read as this one's progress
  const request = api.startCheck(ids).then(
    (status) => {
      job = status;
      return true;
    },
    (err) => {
      reportError(err);
      return false;
    },
  );
  follow(previous, request);
}

// The start request itself checks keys for up to ~20 s before it answers (202 if more are
// left), so progress is polled alongside it rather than only after it returns.
async function follow(previousStart, request) {
  following = true;
  render();
  let answered = null;
  request.then((ok) => { answered = ok; });
  while (answered === null || (answered && job?.running)) {
    await Promise.race([sleep(POLL_MS), request]);
    if (answered === false || (answered && !job?.running)) break;
    try {
      adopt(await api.checkStatus(), previousStart);
    } catch (err) {
      reportError(err);
      if (err.status === 401) break;
    }
    render();
  }
  following = false;
  if (answered === false) job = await api.checkStatus().catch(() => null);
  render();
  if (!answered) return;
  const sum = job?.summary ?? {};
  toast(t('toast_check_done', { ok: sum.ok ?? 0, limited: sum.rate_limited ?? 0, dead: sum.dead ?? 0, error: sum.error ?? 0 }), 'success');
  finished();
}

// A polled status counts only if it belongs to the new job and is not older than what the
// start request already reported.
function adopt(status, previousStart) {
  if (!status?.started_ms || status.started_ms === previousStart) return;
  const same = job?.started_ms === status.started_ms;
  if (!same || !status.running || status.checked >= (job.checked ?? 0)) job = status;
}

function finished() {
  hooks.onChanged();
}

// Collects every disabled key whose reason says it is dead, across as many pages as needed.
export async function loadDead() {
  const mine = ++deadSequence;
  const found = [];
  try {
    for (let page = 1; ; page += 1) {
      const res = await api.listKeys({ page, limit: PAGE, status: 'disabled', sort: 'id', order: 'asc' });
      if (mine !== deadSequence) return; // a newer load is under way
      found.push(...res.keys.filter((k) => DEAD_REASONS.has(k.disabled_reason)));
      if (!res.keys.length || page * (res.limit || PAGE) >= res.total) break;
    }
    dead = found;
  } catch (err) {
    if (mine === deadSequence) reportError(err);
  }
  if (mine === deadSequence) renderDead();
}

async function removeDead() {
  const ids = dead.map((k) => k.id);
  if (!ids.length) return;
  const confirmed = await confirmAction({
    title: t('confirm_dead_title', { n: ids.length }),
    body: t('confirm_dead_body'),
    action: t('check_dead_remove', { n: ids.length }),
    danger: true,
  });
  if (!confirmed) return;
  let deleted = 0;
  try {
    for (let i = 0; i < ids.length; i += DELETE_BATCH) {
      deleted += (await api.deleteKeys(ids.slice(i, i + DELETE_BATCH))).deleted ?? 0;
    }
    toast(t('toast_deleted', { n: deleted }), 'success');
  } catch (err) {
    reportError(err);
  }
  hooks.onDeleted(ids);
  hooks.onChanged();
}

export function render() {
  const running = Boolean(job?.running) || following;
  $('#check-all').disabled = running;
  $('#sel-check').disabled = running;
  const total = job?.total ?? 0;
  const checked = job?.checked ?? 0;
  // A finished job over zero keys is complete; no job at all shows an empty bar.
  const ratio = total ? Math.min(1, checked / total) : job?.finished_ms ? 1 : 0;
  const bar = $('#check-progress');
  show(bar.parentElement, running || Boolean(job?.started_ms));
  bar.setAttribute('aria-valuenow', String(Math.round(ratio * 100)));
  bar.setAttribute('aria-valuetext', `${checked} / ${total}`);
  $('.progress-fill', bar).style.width = `${ratio * 100}%`;
  $('#check-pct').textContent = fmtPct(Math.round(ratio * 100), 100);
  $('#check-state').textContent = stateText(running, checked, total);
  renderSummary();
}

function stateText(running, checked, total) {
  if (running && !job?.running) return t('check_starting');
  if (!job) return t('check_never');
  if (running) return t('check_running', { checked, total });
  if (!job.finished_ms) return t('check_never');
  return t('check_done', { when: fmtWhen(job.finished_ms), took: fmtDuration(job.finished_ms - job.started_ms) });
}

function renderSummary() {
  const summary = job?.started_ms ? job.summary : null;
  show($('#check-summary'), Boolean(summary));
  show($('#check-classes'), Boolean(summary));
  if (!summary) return;
  $('#check-summary').replaceChildren(...SUMMARY.map((name) => h('div', { class: `tally tally-${name}` },
    h('span', { class: 'tally-value' }, fmtInt(summary[name])), h('span', { class: 'tally-label' }, t(`sum_${name}`)))));
  const classes = Object.entries(summary.by_class ?? {}).filter(([, n]) => n > 0)
    .sort(([a], [b]) => GROUP_ORDER.indexOf(groupOf(a)) - GROUP_ORDER.indexOf(groupOf(b)) || a.localeCompare(b));
  $('#check-classes').replaceChildren(...classes.map(([name, n]) => h('span', { class: `pill pill-class-${groupOf(name)}` },
    `${tName('class', name)} ${fmtInt(n)}`)));
}

function groupOf(name) {
  if (name === 'ok') return 'ok';
  if (DEAD_REASONS.has(name)) return 'dead';
  if (name.startsWith('quota')) return 'limited';
  return 'error';
}

function renderDead() {
  const box = $('#dead-box');
  const n = dead.length;
  $('#dead-text').textContent = n ? t('check_dead_found', { n }) : t('check_dead_none');
  box.classList.toggle('has-dead', n > 0);
  show($('#dead-remove'), n > 0);
  $('#dead-remove').textContent = t('check_dead_remove', { n });
  const list = dead.slice(0, DEAD_SHOWN).map((k) => h('li', {},
    h('span', { class: 'mono' }, k.masked), h('span', { class: 'muted' }, tName('reason', k.disabled_reason))));
  if (n > DEAD_SHOWN) list.push(h('li', { class: 'muted' }, t('check_dead_more', { n: n - DEAD_SHOWN })));
  $('#dead-list').replaceChildren(...list);
}

export function rerender() {
  render();
  renderDead();
}
