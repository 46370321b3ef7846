// Number, percentage and time formatting in the page's language. Intl objects are costly to
// build, so one of each is kept per language.

import { locale, t } from '../i18n.js';

const cache = new Map();

function cached(kind, options, make) {
  const id = `${locale()}|${kind}`;
  if (!cache.has(id)) cache.set(id, make(locale(), options));
  return cache.get(id);
}

const number = (kind, options) => cached(kind, options, (loc, o) => new Intl.NumberFormat(loc, o));
const date = (kind, options) => cached(kind, options, (loc, o) => new Intl.DateTimeFormat(loc, o));

export const fmtInt = (n) => number('int', {}).format(n ?? 0);

export const fmtCompact = (n) =>
  number('compact', { notation: 'compact', maximumFractionDigits: 1 }).format(n ?? 0);

export function fmtPct(part, whole) {
  if (!whole) return '—';
  const ratio = part / whole;
  const digits = ratio > 0 && ratio < 0.1 ? 1 : 0;
  return number(`pct${digits}`, { style: 'percent', maximumFractionDigits: digits }).format(ratio);
}

export const fmtDateTime = (ms) =>
  date('datetime', { dateStyle: 'medium', timeStyle: 'short' }).format(ms);

export const fmtClock = (ms) => date('clock', { hour: '2-digit', minute: '2-digit' }).format(ms);

export const fmtDay = (ms) => date('day', { month: 'short', day: 'numeric' }).format(ms);

export const fmtHour = (ms) =>
  date('hour', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }).format(ms);

const UNITS = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

// "3 minutes ago" / "in 2 hours"; a time within a few seconds is "now".
export function fmtRelative(ms, now = Date.now()) {
  const rtf = cached('rel', { numeric: 'auto', style: 'short' }, (loc, o) => new Intl.RelativeTimeFormat(loc, o));
  const diff = ms - now;
  for (const [unit, size] of UNITS) {
    if (Math.abs(diff) >= size || unit === 'second') {
      return rtf.format(Math.round(diff / size), unit);
    }
  }
  return '';
}

// A short duration such as "1 min 5 s" or "4.2 s".
export function fmtDuration(ms) {
  if (ms < 10_000) return t('dur_seconds', { n: (ms / 1000).toFixed(1) });
  const m = Math.floor(ms / 60_000);
  const sec = Math.round((ms % 60_000) / 1000);
  return m ? t('dur_minutes', { m, s: sec }) : t('dur_seconds', { n: sec });
}

// A clock time for today, a date and time otherwise.
export function fmtWhen(ms, now = Date.now()) {
  return new Date(ms).toDateString() === new Date(now).toDateString() ? fmtClock(ms) : fmtHour(ms);
}
