// Hourly traffic as an inline SVG bar chart: successes and errors stacked per hour.
// Drawn at the container's real pixel width so text never stretches.

import { s } from './dom.js';
import { fmtClock, fmtDay, fmtCompact } from './format.js';

const HOUR = 3_600_000;
const HEIGHT = 200;
const PAD = { top: 12, right: 8, bottom: 24, left: 40 };
const MIN_LABEL_GAP = 64;

// The API may leave out empty hours; the chart wants every hour of the range, oldest first.
export function fillHours(hours, count, now = Date.now()) {
  const byHour = new Map(hours.map((row) => [row.hour_ms, row]));
  const last = Math.floor(now / HOUR) * HOUR;
  const out = [];
  for (let i = count - 1; i >= 0; i -= 1) {
    const hourMs = last - i * HOUR;
    const row = byHour.get(hourMs);
    const requests = row?.requests ?? 0;
    const failures = row?.failures ?? 0;
    out.push({ hour_ms: hourMs, requests, failures, successes: row?.successes ?? requests - failures });
  }
  return out;
}

// The top of the scale: four grid steps of 1, 2, 2.5 or 5 × 10^n, so every label is round.
function niceMax(max) {
  const rough = Math.max(1, max / 4);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((v) => v >= rough && Number.isInteger(v)) ?? 10 * power;
  return step * 4;
}

function yAxis(svg, top, plotW) {
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  for (let i = 0; i <= 4; i += 1) {
    const value = (top / 4) * i;
    const y = PAD.top + innerH - (innerH * i) / 4;
    svg.append(s('line', { class: 'grid', x1: PAD.left, x2: PAD.left + plotW, y1: y, y2: y }));
    svg.append(s('text', { class: 'axis', x: PAD.left - 6, y: y + 4, 'text-anchor': 'end' }, fmtCompact(value)));
  }
}

// Labels sit on whole hours (24-hour view) or midnights (7-day view), spaced so that
// neighbours never overlap however narrow the chart is.
function xLabel(svg, row, index, count, { x, slot, width }) {
  const daily = count > 48;
  const unit = daily ? 24 : 1;
  const steps = daily ? [1, 2, 7] : [1, 2, 3, 4, 6, 12];
  const every = steps.find((n) => n * unit * slot >= MIN_LABEL_GAP) ?? steps.at(-1);
  const date = new Date(row.hour_ms);
  const due = daily
    ? date.getHours() === 0 && Math.floor(row.hour_ms / (24 * HOUR)) % every === 0
    : (count - 1 - index) % every === 0 && index >= 1;
  if (!due) return;
  const text = daily ? fmtDay(row.hour_ms) : fmtClock(row.hour_ms);
  // Keep the first and last labels inside the drawing instead of cut at the edge.
  const anchor = x > width - 32 ? 'end' : 'middle';
  svg.append(s('text', { class: 'axis', x: anchor === 'end' ? width - 2 : x, y: HEIGHT - 6, 'text-anchor': anchor }, text));
}

// rows: from fillHours. onHover(row|null) lets the caller show a readout for the bar.
export function drawChart(container, rows, { label, onHover }) {
  const width = Math.max(280, container.clientWidth || 600);
  const plotW = width - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const top = niceMax(Math.max(0, ...rows.map((r) => r.requests)));
  const slot = plotW / rows.length;
  const barW = Math.max(1, slot * (rows.length > 48 ? 0.8 : 0.62));
  const scale = (v) => (v / top) * innerH;

  const svg = s('svg', { class: 'chart', width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: 'img', 'aria-label': label });
  yAxis(svg, top, plotW);
  rows.forEach((row, i) => {
    const x = PAD.left + i * slot + (slot - barW) / 2;
    const okH = scale(Math.max(0, row.requests - row.failures));
    const errH = scale(row.failures);
    const base = PAD.top + innerH;
    const group = s('g', { class: 'bar' });
    if (okH > 0) group.append(s('rect', { class: 'bar-ok', x, y: base - okH, width: barW, height: okH, rx: barW > 4 ? 2 : 0 }));
    if (errH > 0) group.append(s('rect', { class: 'bar-err', x, y: base - okH - errH, width: barW, height: errH, rx: barW > 4 ? 2 : 0 }));
    // A full-height transparent target makes thin and empty hours easy to hover.
    const hit = s('rect', { class: 'bar-hit', x: PAD.left + i * slot, y: PAD.top, width: slot, height: innerH });
    hit.addEventListener('pointerenter', () => onHover?.(row));
    group.append(hit);
    svg.append(group);
    xLabel(svg, row, i, rows.length, { x: PAD.left + i * slot + slot / 2, slot, width });
  });
  svg.addEventListener('pointerleave', () => onHover?.(null));
  container.replaceChildren(svg);
}
