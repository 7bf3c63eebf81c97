// The cumulative percent-passing curve as an inline SVG on a log size axis, as labs draw sieve results: the
// measured curve (the one the D-values are read from), the measured vector's passing at each bin edge, the truth's
// passing at the bin edges when it is known (a bin vector only says that much), and the D-values marked on it.
import type { PassingPoint } from '../aggregate/index.js';
import { escapeHtml, fmt } from './html.js';

export interface CurveChartInput {
  /** The measured curve's points (passing 0–1), ascending; null or empty: no measurable particle. */
  curve: readonly PassingPoint[] | null;
  /** Interior bin edges, in `unit`. */
  edges: readonly number[];
  unit: string;
  /** The bin vector (its cumulative sums are the passing at each edge). */
  vector: readonly (number | null)[] | null;
  truth: readonly number[] | null;
  /** D-values to mark (name like `D50`, size in `unit`). */
  dValues: readonly { name: string; value: number | null }[];
  /** @default 'truth' */
  truthLabel?: string;
  /** Label of the measured curve. @default 'measured' */
  label?: string;
  /** @default 440 */
  width?: number;
  /** @default 260 */
  height?: number;
}

/** At most this many points are drawn: more are resampled in log size (a curve of 20,000 stones is a smooth line). */
export const CURVE_MAX_POINTS = 400;

/**
 * The curve as it is drawn: from 0 % at the smallest size up through every point to 100 % at the largest (the D of
 * any percentage below the first point is the smallest size: a vertical step). Long curves are resampled at
 * CURVE_MAX_POINTS sizes spaced evenly in log size, where the curve is exact (it is linear in log size between points).
 */
export function drawnCurve(curve: readonly PassingPoint[], max = CURVE_MAX_POINTS): PassingPoint[] {
  if (curve.length === 0) return [];
  const first = curve[0]!;
  const last = curve[curve.length - 1]!;
  let inner: PassingPoint[] = [...curve];
  if (curve.length > max) {
    inner = [];
    const l0 = Math.log(first.size);
    const l1 = Math.log(last.size);
    let k = 0;
    for (let i = 0; i < max; i++) {
      const size = Math.exp(l0 + ((l1 - l0) * i) / (max - 1));
      while (k < curve.length - 2 && curve[k + 1]!.size < size) k++;
      const a = curve[k]!;
      const b = curve[k + 1]!;
      const t = i === 0 ? 0 : i === max - 1 ? 1 : Math.min(1, Math.max(0, Math.log(size / a.size) / Math.log(b.size / a.size)));
      inner.push({ size: i === 0 ? first.size : i === max - 1 ? last.size : size, passing: a.passing + t * (b.passing - a.passing) });
    }
  }
  return [{ size: first.size, passing: 0 }, ...inner, { size: last.size, passing: 1 }];
}

/** 1-2-5 ticks in [lo, hi]; if that gives fewer than two, the bounds' own values. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** e).toPrecision(3));
      if (v >= lo && v <= hi) ticks.push(v);
    }
  }
  return ticks;
}

const tickText = (v: number): string => String(Number(v.toPrecision(3)));

/** Cumulative passing at each interior edge from a bin vector: the share of the bins below the edge. */
export function passingAtEdges(vector: readonly (number | null)[]): (number | null)[] {
  const out: (number | null)[] = [];
  let cum: number | null = 0;
  for (let k = 0; k < vector.length - 1; k++) {
    const v = vector[k];
    cum = cum === null || v === null || v === undefined || !Number.isFinite(v) ? null : cum + v;
    out.push(cum);
  }
  return out;
}

/** SVG markup of the chart; a short note instead of the curve when there is nothing to draw. */
export function curveChart(input: CurveChartInput): string {
  const W = input.width ?? 440;
  const legendRows = input.truth ? 2 : 1;
  const H = (input.height ?? 260) + 14 * (legendRows - 1);
  const left = 44;
  const right = 10;
  const top = 12;
  const bottom = 40 + 14 * legendRows;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const curve = input.curve ?? [];
  const edges = input.edges;
  const sizes = [...edges, ...(curve.length ? [curve[0]!.size, curve[curve.length - 1]!.size] : [])].filter((x) => x > 0 && Number.isFinite(x));
  const lo = Math.min(...sizes) / 1.25;
  const hi = Math.max(...sizes) * 1.25;
  const span = Math.log(hi / lo) || 1;
  const x = (s: number): number => left + (plotW * Math.log(s / lo)) / span;
  const y = (p: number): number => top + plotH * (1 - p);
  const xy = (s: number, p: number): string => `${x(s).toFixed(1)},${y(p).toFixed(1)}`;
  const label = input.label ?? 'measured';
  const truthLabel = input.truthLabel ?? 'truth';
  const parts: string[] = [];
  parts.push(`<svg class="curve" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(`cumulative percent passing on a log size axis: ${label}${input.truth ? ` and ${truthLabel}` : ''}`)}">`);
  for (let p = 0; p <= 100; p += 10) {
    const yy = y(p / 100).toFixed(1);
    parts.push(`<line class="grid" x1="${left}" x2="${W - right}" y1="${yy}" y2="${yy}"/>`);
    if (p % 20 === 0) parts.push(`<text class="tick" x="${left - 4}" y="${yy}" text-anchor="end" dominant-baseline="middle">${p}</text>`);
  }
  for (const t of logTicks(lo, hi)) {
    const xx = x(t).toFixed(1);
    parts.push(`<line class="grid" x1="${xx}" x2="${xx}" y1="${top}" y2="${top + plotH}"/><text class="tick" x="${xx}" y="${top + plotH + 14}" text-anchor="middle">${tickText(t)}</text>`);
  }
  for (const e of edges) {
    const xx = x(e).toFixed(1);
    parts.push(`<line class="edge" x1="${xx}" x2="${xx}" y1="${top}" y2="${top + plotH}"><title>${escapeHtml(`bin edge ${tickText(e)} ${input.unit}`)}</title></line>`);
  }
  parts.push(`<line class="axis" x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}"/><line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}"/>`);
  parts.push(`<text class="axis-label" x="${left + plotW / 2}" y="${top + plotH + 30}" text-anchor="middle">${escapeHtml(`size (${input.unit}, log scale)`)}</text>`);
  parts.push(`<text class="axis-label" transform="translate(11 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">% passing</text>`);
  if (input.truth) {
    const t = passingAtEdges(input.truth);
    const pts = edges.flatMap((e, k) => {
      const p = t[k];
      return p === null || p === undefined ? [] : [[e, p] as const];
    });
    if (pts.length) {
      parts.push(`<polyline class="truth" points="${pts.map(([s, p]) => xy(s, p)).join(' ')}"/>`);
      for (const [s, p] of pts) parts.push(`<circle class="truth" cx="${x(s).toFixed(1)}" cy="${y(p).toFixed(1)}" r="3.5"><title>${escapeHtml(`${truthLabel}: ${fmt(100 * p, 1)} % passing ${tickText(s)} ${input.unit}`)}</title></circle>`);
    }
  }
  if (curve.length) {
    const d = drawnCurve(curve);
    parts.push(`<path class="pred" d="M${d.map((p) => xy(p.size, p.passing)).join('L')}"><title>${escapeHtml(`${label}: ${curve.length} size(s)`)}</title></path>`);
    if (input.vector) {
      const v = passingAtEdges(input.vector);
      edges.forEach((e, k) => {
        const p = v[k];
        if (p === null || p === undefined) return;
        parts.push(`<rect class="pred-edge" x="${(x(e) - 3).toFixed(1)}" y="${(y(p) - 3).toFixed(1)}" width="6" height="6"><title>${escapeHtml(`${label} vector: ${fmt(100 * p, 1)} % passing ${tickText(e)} ${input.unit}`)}</title></rect>`);
      });
    }
    for (const dv of input.dValues) {
      const q = Number(dv.name.slice(1)) / 100;
      if (dv.value === null || !(dv.value > 0) || !Number.isFinite(q)) continue;
      parts.push(`<circle class="dvalue" cx="${x(dv.value).toFixed(1)}" cy="${y(q).toFixed(1)}" r="2.5"><title>${escapeHtml(`${dv.name} = ${fmt(dv.value, 3)} ${input.unit}`)}</title></circle>`);
    }
  } else parts.push(`<text class="note" x="${left + plotW / 2}" y="${top + plotH / 2}" text-anchor="middle">no measurable particle: no curve</text>`);
  const legend: [string, string][] = [['pred', `${label}: dots D10…D90, squares its vector at the bin edges`], ...(input.truth ? ([['truth', `${truthLabel}, at the bin edges`]] as [string, string][]) : [])];
  legend.forEach(([cls, text], j) => {
    const ly = top + plotH + 48 + 14 * j;
    parts.push(`<line class="${cls} key" x1="${left}" x2="${left + 16}" y1="${ly - 4}" y2="${ly - 4}"/><text class="legend" x="${left + 22}" y="${ly}">${escapeHtml(text)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
