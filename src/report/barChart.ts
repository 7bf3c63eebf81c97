// The size vector as an inline SVG bar chart, the truth's bar beside each predicted bar when it is known.
import { escapeHtml, fmt } from './html.js';

/** `lt_4mm` → `< 4 mm`, `4_5.6mm` → `4–5.6 mm`, `ge_80px` → `≥ 80 px`; any other name is shown as it is. */
export function binLabel(column: string): string {
  const m = /^(?:(lt|ge)_([\d.]+)|([\d.]+)_([\d.]+))(mm|px)$/.exec(column);
  if (!m) return column;
  const unit = ` ${m[5]}`;
  if (m[1] === 'lt') return `< ${m[2]}${unit}`;
  if (m[1] === 'ge') return `≥ ${m[2]}${unit}`;
  return `${m[3]}–${m[4]}${unit}`;
}

export interface BarChartOptions {
  /** @default 440 */
  width?: number;
  /** @default 220 */
  height?: number;
}

/** SVG markup of the bars; values in `<title>` for a tooltip, a short note instead of bars when the vector is undefined. */
export function barChart(bins: readonly string[], vector: readonly (number | null)[], truth: readonly number[] | null, options: BarChartOptions = {}): string {
  const W = options.width ?? 440;
  const H = options.height ?? 220;
  const left = 40;
  const right = 8;
  const top = 12;
  const bottom = 40;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const values = [...vector, ...(truth ?? [])].filter((v): v is number => v !== null && Number.isFinite(v));
  const yMax = Math.min(1, Math.max(0.1, Math.ceil(Math.max(0, ...values) * 10) / 10));
  const step = yMax <= 0.5 ? 0.1 : 0.2;
  const y = (v: number): number => top + plotH * (1 - v / yMax);
  const parts: string[] = [];
  parts.push(`<svg class="bars" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="size vector${truth ? ' and truth' : ''}">`);
  for (let i = 0; i * step <= yMax + 1e-9; i++) {
    const t = i * step;
    const yy = y(t).toFixed(1);
    parts.push(`<line class="grid" x1="${left}" x2="${W - right}" y1="${yy}" y2="${yy}"/>`);
    parts.push(`<text class="tick" x="${left - 4}" y="${yy}" text-anchor="end" dominant-baseline="middle">${t.toFixed(1)}</text>`);
  }
  const defined = vector.length > 0 && vector.every((v) => v !== null && Number.isFinite(v));
  const gw = plotW / Math.max(1, bins.length);
  const series: { cls: string; label: string; values: readonly (number | null)[] }[] = [{ cls: 'pred', label: 'measured', values: vector }];
  if (truth) series.push({ cls: 'truth', label: 'truth', values: truth });
  const bw = (gw * 0.8) / series.length;
  bins.forEach((bin, k) => {
    const x0 = left + k * gw + gw * 0.1;
    series.forEach((s, j) => {
      const v = s.values[k];
      if (v === null || v === undefined || !Number.isFinite(v) || (s.cls === 'pred' && !defined)) return;
      const yy = y(Math.min(v, yMax));
      parts.push(
        `<rect class="${s.cls}" x="${(x0 + j * bw).toFixed(1)}" y="${yy.toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(top + plotH - yy).toFixed(1)}"><title>${escapeHtml(`${binLabel(bin)} ${s.label}: ${fmt(v, 3)}`)}</title></rect>`,
      );
    });
    parts.push(`<text class="bin" x="${(left + k * gw + gw / 2).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle">${escapeHtml(binLabel(bin))}</text>`);
  });
  parts.push(`<line class="axis" x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}"/>`);
  if (!defined) parts.push(`<text class="note" x="${left + plotW / 2}" y="${top + plotH / 2}" text-anchor="middle">no measurable particle: the vector is undefined</text>`);
  const legendY = H - 8;
  series.forEach((s, j) => {
    const lx = left + j * 110;
    parts.push(`<rect class="${s.cls} key" x="${lx}" y="${legendY - 9}" width="10" height="10"/><text class="legend" x="${lx + 14}" y="${legendY}">${escapeHtml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
