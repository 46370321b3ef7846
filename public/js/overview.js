// Pool totals (the cards at the top) and the traffic chart, for the pool or one chosen key.

import * as api from './api.js';
import { $, $$, show } from './dom.js';
import { fmtInt, fmtPct, fmtHour } from './format.js';
import { drawChart, fillHours } from './chart.js';
import { reportError } from './feedback.js';
import { t } from '../i18n.js';

const state = {
  hours: 24,
  key: null, // {id, masked} when the chart shows one key
  counts: null, // from the keys list, refreshed with every table load
  pool: undefined, // pool stats; null when the server has no stats endpoint
  keyStats: null,
  hover: null,
};

export function init() {
  for (const button of $$('#chart-range button')) {
    button.addEventListener('click', () => {
      state.hours = Number(button.dataset.hours);
      load();
    });
  }
  $('#chart-back').addEventListener('click', () => showKey(null));
  let lastWidth = 0;
  new ResizeObserver(([entry]) => {
    const width = Math.round(entry.contentRect.width);
    if (width !== lastWidth) {
      lastWidth = width;
      renderChart();
    }
  }).observe($('#chart'));
}

export function setCounts(counts) {
  state.counts = counts;
  renderCards();
}

export async function load() {
  try {
    const [pool, keyStats] = await Promise.all([
      api.stats(state.hours),
      state.key ? api.stats(state.hours, state.key.id) : null,
    ]);
    state.pool = pool;
    state.keyStats = keyStats;
  } catch (err) {
    reportError(err);
  }
  render();
}

export function showKey(key) {
  state.key = key;
  state.hover = null;
  load();
  if (key) $('#traffic').scrollIntoView({ behavior: 'smooth', block: 'start' });
}

export function render() {
  renderCards();
  renderChart();
}

function setCard(id, value, sub = '') {
  const card = $(`#${id}`);
  $('.stat-value', card).textContent = value;
  $('.stat-sub', card).textContent = sub;
}

function renderCards() {
  const counts = state.counts ?? state.pool?.counts;
  if (counts) {
    setCard('stat-total', fmtInt(counts.total));
    for (const name of ['active', 'cooling', 'disabled']) {
      setCard(`stat-${name}`, fmtInt(counts[name]), counts.total ? t('stat_share', { pct: fmtPct(counts[name], counts.total) }) : '');
    }
  }
  const totals = state.pool?.totals;
  const missing = state.pool === null;
  for (const id of ['stat-requests-today', 'stat-errors-today']) {
    $(`#${id}`).title = missing ? t('stat_unavailable') : t('stat_today_hint');
  }
  if (totals) {
    setCard('stat-requests-today', fmtInt(totals.requests_today));
    setCard('stat-errors-today', fmtInt(totals.errors_today),
      totals.requests_today ? t('stat_error_rate', { pct: fmtPct(totals.errors_today, totals.requests_today) }) : '');
  } else if (missing) {
    setCard('stat-requests-today', '—');
    setCard('stat-errors-today', '—');
  }
}

function renderChart() {
  const section = $('#traffic');
  const data = state.key ? state.keyStats : state.pool;
  show(section, Boolean(data));
  if (!data) return;
  for (const button of $$('#chart-range button')) {
    button.setAttribute('aria-pressed', String(Number(button.dataset.hours) === state.hours));
  }
  $('#chart-subject').textContent = state.key ? t('chart_key', { masked: state.key.masked }) : t('chart_pool');
  show($('#chart-back'), Boolean(state.key));
  const rows = fillHours(data.hours ?? [], state.hours);
  const total = rows.reduce((acc, r) => ({ n: acc.n + r.requests, e: acc.e + r.failures }), { n: 0, e: 0 });
  show($('#chart-empty'), total.n === 0);
  drawChart($('#chart'), rows, {
    label: t('chart_label'),
    onHover: (row) => {
      state.hover = row;
      renderReadout(total);
    },
  });
  renderReadout(total);
}

// Shows the hovered hour, or the whole range when nothing is hovered.
function renderReadout(total) {
  const row = state.hover;
  const text = row
    ? `${fmtHour(row.hour_ms)} · ${t('chart_summary', { n: row.requests, e: row.failures })}`
    : t('chart_summary', { n: total.n, e: total.e });
  $('#chart-readout').textContent = text;
}
