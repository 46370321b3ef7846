// How one key becomes a table row. Cells carry data-label so the phone layout can show each
// value with its column name (see .keys-table in styles.css).

import { h, icon } from './dom.js';
import { fmtInt, fmtCompact, fmtPct, fmtRelative, fmtDateTime, fmtHour, fmtWhen } from './format.js';
import { t, tName } from '../i18n.js';

export const COLUMNS = [
  { id: 'key', label: 'col_key', sort: 'id', cell: keyCell },
  { id: 'status', label: 'col_status', sort: 'status', cell: statusCell },
  { id: 'requests', label: 'col_requests', sort: 'requests', cell: requestsCell, numeric: true },
  { id: 'failures', label: 'col_failures', sort: 'failures', cell: failuresCell, numeric: true },
  { id: 'tokens', label: 'col_tokens', cell: tokensCell, numeric: true },
  { id: 'last_used', label: 'col_last_used', sort: 'last_used', cell: lastUsedCell },
  { id: 'last_error', label: 'col_last_error', cell: errorCell },
];

const MAX_COOLDOWN_LINES = 2;

function keyCell(key) {
  return [h('span', { class: 'mono key-masked' }, key.masked), h('span', { class: 'sub' }, `#${key.id}`)];
}

// The pool records a cooldown that covers every model under the name "*", and one that holds
// for grounded requests only (Google Search, URL context, Maps) as the model + "+grounding".
const GROUNDING = '+grounding';
export function modelName(model) {
  if (model === '*') return t('all_models');
  if (model.endsWith(GROUNDING)) {
    const base = model.slice(0, -GROUNDING.length);
    return t('grounding_of', { model: base ? base : t('all_models') });
  }
  return model;
}

function cooldownLines(cooldowns, now) {
  const live = (cooldowns ?? []).filter((c) => c.until_ms > now).sort((a, b) => a.until_ms - b.until_ms);
  const lines = live.slice(0, MAX_COOLDOWN_LINES).map((c) => {
    const time = fmtWhen(c.until_ms, now);
    const reason = c.reason ? tName('class', c.reason) : '';
    return h('span', { class: 'sub', title: [reason, fmtRelative(c.until_ms, now)].filter(Boolean).join(' · ') },
      t('cooldown_until', { model: modelName(c.model), time }));
  });
  if (live.length > MAX_COOLDOWN_LINES) {
    const rest = live.slice(MAX_COOLDOWN_LINES).map((c) => `${modelName(c.model)} → ${fmtHour(c.until_ms)}`).join('\n');
    lines.push(h('span', { class: 'sub', title: rest }, t('cooldown_more', { n: live.length - MAX_COOLDOWN_LINES })));
  }
  return lines;
}

function statusBadge(status) {
  return h('span', { class: `badge badge-${status}` }, t(`status_${status}`));
}

function statusCell(key) {
  const now = Date.now();
  const parts = [statusBadge(key.status)];
  if (key.status === 'disabled' && key.disabled_reason) {
    parts.push(h('span', { class: 'sub' }, tName('reason', key.disabled_reason)));
  }
  if (key.status !== 'disabled') parts.push(...cooldownLines(key.cooldowns, now));
  return parts;
}

function requestsCell(key) {
  return [h('span', {}, fmtInt(key.requests)),
    h('span', { class: 'sub' }, key.requests ? t('success_rate', { pct: fmtPct(key.successes, key.requests) }) : '')];
}

function failuresCell(key) {
  const rate = key.requests ? key.failures / key.requests : 0;
  // Colour only failure rates worth a look; a few failures are normal traffic.
  return h('span', { class: rate >= 0.5 ? 'bad' : rate >= 0.2 ? 'warn' : null }, fmtInt(key.failures));
}

function tokensCell(key) {
  const prompt = key.prompt_tokens ?? 0;
  const completion = key.completion_tokens ?? 0;
  const split = t('tokens_split', { p: fmtCompact(prompt), c: fmtCompact(completion) });
  return [h('span', { title: split }, fmtCompact(prompt + completion)),
    prompt + completion ? h('span', { class: 'sub' }, split) : null];
}

function lastUsedCell(key) {
  if (!key.last_used_ms) return h('span', { class: 'muted' }, t('never'));
  return h('time', { datetime: new Date(key.last_used_ms).toISOString(), title: fmtDateTime(key.last_used_ms) },
    fmtRelative(key.last_used_ms));
}

function errorCell(key) {
  if (!key.last_error) return h('span', { class: 'muted' }, '—');
  return h('span', { class: 'error-text', title: key.last_error }, key.last_error);
}

function actionsCell(key) {
  return h('div', { class: 'row-actions' },
    h('button', { type: 'button', class: 'icon-btn', dataset: { action: 'copy' }, title: t('copy_key', { masked: key.masked }), 'aria-label': t('copy_key', { masked: key.masked }) }, icon('copy')),
    h('button', { type: 'button', class: 'icon-btn', dataset: { action: 'chart' }, title: t('chart_for_key', { masked: key.masked }), 'aria-label': t('chart_for_key', { masked: key.masked }) }, icon('chart')));
}

export function keyRow(key, selected) {
  const checkbox = h('input', { type: 'checkbox', class: 'row-check', checked: selected, 'aria-label': t('select_key', { masked: key.masked }) });
  const cells = COLUMNS.map((col) => h('td', { class: `col-${col.id}${col.numeric ? ' num' : ''}`, dataset: { label: t(col.label) } }, col.cell(key)));
  return h('tr', { dataset: { id: key.id }, class: selected ? 'selected' : null },
    h('td', { class: 'col-select' }, checkbox), cells, h('td', { class: 'col-actions' }, actionsCell(key)));
}

export function messageRow(text) {
  return h('tr', { class: 'message-row' }, h('td', { colspan: COLUMNS.length + 2 }, text));
}
