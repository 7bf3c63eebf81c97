// The report page: one HTML string with its CSS and JavaScript inline. A Content-Security-Policy that allows only
// this page's own script and style (by hash) and local or embedded images makes "no network request" a rule the
// browser enforces, not just a habit of this code.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { barChart, binLabel } from './barChart.js';
import { CLIENT_SCRIPT, REPORT_CSS } from './client.js';
import { curveChart } from './curveChart.js';
import { escapeHtml, fmt, imageAnchor, jsonForScript, pct } from './html.js';
import type { ReportImage, RunData } from './loadRun.js';
import { EDGE_RGB, UNMEASURED_RGB, binColours, rgbCss } from './outlineLayer.js';

/** Where the page finds an image's overlay and particle table (relative URLs or data URIs); null: not available. */
export interface ReportAssets {
  overlaySrc(image: ReportImage, index: number): string | null;
  /** A link to the particle CSV, or null (embedded reports link none). */
  csvHref(image: ReportImage, index: number): string | null;
  /** The image's outlines coloured by bin (a transparent PNG the size of the overlay), or null. */
  layerSrc?(image: ReportImage, index: number): string | null;
  /** A link to the run's histograms.csv or histograms-pooled.csv, or null. */
  batchCsvHref?(file: 'histograms' | 'pooled'): string | null;
}

export interface RenderOptions {
  assets: ReportAssets;
  /** Shown in the footer. @default new Date() */
  now?: Date;
  /** Overlays after this many are loaded only when scrolled to. @default 4 */
  eagerImages?: number;
}

const MEASURE_NAMES: Record<string, string> = {
  minor: 'minor axis (b-axis)',
  major: 'major axis (a-axis)',
  ecd: 'equivalent circle diameter',
  feret_min: 'minimum Feret diameter',
  feret_max: 'maximum Feret diameter',
};
const WEIGHT_NAMES: Record<string, string> = { count: 'count', area: 'area', mass: 'mass (∝ major·minor²)' };

const e = escapeHtml;
const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

function facts(rows: readonly (readonly [string, string] | null)[]): string {
  return `<dl class="facts">${rows.flatMap((r) => (r ? [`<dt>${e(r[0])}</dt><dd>${r[1]}</dd>`] : [])).join('')}</dl>`;
}

function metric(label: string, value: string, title?: string): string {
  return `<div class="metric"${title ? ` title="${e(title)}"` : ''}><span class="muted">${e(label)}</span><b>${e(value)}</b></div>`;
}

function modelText(d: RunData): string {
  const m = d.summary.model;
  if (m.kind === 'classical') return 'classical (no U-Net: blur, adaptive threshold, distance-transform watershed)';
  const parts = [m.kind === 'unet' ? 'U-Net' : (m.kind ?? 'unknown')];
  const details = [m.format, m.tileSize ? `${m.tileSize}² tiles` : null].filter((x): x is string => x !== null);
  let text = e(parts.join(' '));
  if (m.id) text += ` <code>${e(m.id)}</code>`;
  if (details.length) text += ` <span class="muted">(${e(details.join(', '))})</span>`;
  if (m.note) text += ` <span class="muted">${e(m.note)}</span>`;
  return text;
}

function backendText(d: RunData): string {
  const b = d.summary.backend;
  if (!b) return '–';
  return e(`${b.name}${b.simd === true ? ' (SIMD)' : b.simd === false ? ' (no SIMD)' : ''}`);
}

function countBy(images: readonly ReportImage[], status: string): number {
  return images.filter((im) => im.status === status).length;
}

function batchCsvLinks(d: RunData, options: RenderOptions): string {
  const links: string[] = [];
  for (const [key, file, what] of [
    ['histograms', d.histogramsFile, 'histograms.csv'],
    ['pooled', d.batch?.file ?? null, 'histograms-pooled.csv'],
  ] as const) {
    if (file === null) continue;
    const href = options.assets.batchCsvHref?.(key) ?? null;
    links.push(href ? `<a href="${e(href)}" download>${e(what)}</a>` : `<code>${e(what)}</code>`);
  }
  return links.join(' · ');
}

function summarySection(d: RunData, options: RenderOptions): string {
  const s = d.summary;
  const total = d.images.length;
  const statusLine = `${total} image(s): ${countBy(d.images, 'done')} done, ${countBy(d.images, 'skipped')} skipped (outputs of an earlier run), ${countBy(d.images, 'failed')} failed`;
  const found = d.images.reduce((a, im) => a + (im.particles ?? 0), 0);
  const binned = d.images.reduce((a, im) => a + (im.binned ?? 0), 0);
  const spec = s.spec;
  const wall = s.wallSeconds === null ? '–' : `${s.wallSeconds.toFixed(1)} s${s.workers !== null ? ` with ${s.workers} worker(s)` : ''}`;
  const times = [s.startedAt ? `started ${s.startedAt}` : null, s.finishedAt ? `finished ${s.finishedAt}` : null].filter(Boolean).join(', ');
  const rows: ([string, string] | null)[] = [
    ['Run folder', `<code>${e(d.dir)}</code>`],
    ['Model', modelText(d)],
    ['Backend', backendText(d)],
    ['Images', e(statusLine)],
    ['Wall time', `${e(wall)}${times ? ` <span class="muted">(${e(times)})</span>` : ''}`],
    ['Particles', e(spec ? `${found} found, ${binned} in the size vectors` : `${found} found`)],
  ];
  if (spec && d.bins) {
    rows.push(
      ['Bins', `${e(d.bins.map(binLabel).join(' · '))} <span class="muted">(${d.bins.length} bins, edges ${e(spec.edges.join(', '))} ${e(spec.unit)})</span>`],
      ['Size measure', e(MEASURE_NAMES[spec.measure] ?? spec.measure)],
      ['Weighting', e(WEIGHT_NAMES[spec.weight] ?? spec.weight)],
      ['Edge particles', e(spec.edgePolicy === 'exclude' ? 'excluded from the vectors' : 'included in the vectors')],
      ['Detection limit', e(spec.minSizePx > 0 ? `${spec.minSizePx} px (smaller particles are reported as unmeasured)` : 'none')],
    );
  } else rows.push(['Bins', 'none: the run had no <code>--scale</code> or <code>--bins</code>, so there are particle tables but no size vectors']);
  rows.push(['Scale', s.scales !== null ? `each photo its own mm/px, from <code>${e(s.scales)}</code>` : e(s.scale === null ? 'none (sizes in px)' : `${s.scale} mm/px`)]);
  if (s.roi) rows.push(['Region of interest', e(s.roi)]);
  if (s.truthFile) rows.push(['Truth', `<code>${e(s.truthFile)}</code>`]);
  if (d.evaluation) rows.push(['Evaluation', `<code>${e(d.evaluation.file)}</code>${d.evaluation.baseline ? ` <span class="muted">(constant predictor: ${e(d.evaluation.baseline.kind)}${d.evaluation.baseline.file ? ` ${e(d.evaluation.baseline.file)}` : ''})</span>` : ''}`]);
  const csvLinks = batchCsvLinks(d, options);
  if (csvLinks) rows.push(['Tables', csvLinks]);
  const versions = Object.entries(s.versions).map(([k, v]) => `${k} ${v}`);
  if (versions.length) rows.push(['Versions', e(versions.join(', '))]);
  return `<section class="card" id="summary"><h2>Summary</h2>${facts(rows)}${overallMetrics(d)}</section>`;
}

function overallMetrics(d: RunData): string {
  const ev = d.evaluation;
  if (ev) {
    const o = ev.overall;
    const cards = [
      metric('mean RMSE', fmt(o.rmse, 4), `mean over ${o.images} image(s), from evaluation.json`),
      metric('mean MAE', fmt(o.mae, 4)),
      metric('max bin error', fmt(o.maxBinError, 4)),
      metric('KL divergence', fmt(o.kl, 4)),
      metric('constant predictor RMSE', fmt(o.rmseConstant, 4)),
      metric('skill', fmt(o.skill, 3), '1 − RMSE / RMSE of the constant predictor'),
    ];
    if (o.groupRmse !== undefined && o.groupRmse !== null) cards.push(metric('RMSE per group', fmt(o.groupRmse, 4)));
    const inst = ev.instances?.overall;
    if (inst) cards.push(metric('instance F1 @0.5', fmt(inst.f1, 3)), metric('AP @0.5:0.95', fmt(inst.ap, 3)));
    return `<h3>Scores against the truth (${o.images} image(s))</h3><div class="metrics">${cards.join('')}</div>`;
  }
  const withTruth = d.images.filter((im) => im.metrics?.rmse !== undefined && im.metrics.rmse !== null).length;
  if (d.summary.meanRmse !== null && withTruth > 0) {
    return `<h3>Scores against the truth</h3><div class="metrics">${metric('mean RMSE', fmt(d.summary.meanRmse, 4), `over ${withTruth} image(s) with a truth row, from run.json`)}</div><p class="muted">For MAE, KL and the constant predictor run <code>photosieve evaluate --pred ${e(d.dir)} --truth TRUTH.csv</code> and make the report again.</p>`;
  }
  return '';
}

function warningItems(d: RunData): string[] {
  const items: string[] = [];
  const li = (text: string, cls?: string): string => `<li${cls ? ` class="${cls}"` : ''}>${text}</li>`;
  for (const [k, im] of d.images.entries()) {
    if (im.status === 'failed') items.push(li(`<a href="#${imageAnchor(k)}">${e(im.name)}</a> failed: ${e(im.error ?? 'no reason recorded')}`, 'error'));
  }
  for (const p of d.problems) items.push(li(e(p), 'error'));
  if (d.summary.backend?.warning) items.push(li(`backend: ${e(d.summary.backend.warning)}`));
  // The batch's list repeats the images' warnings; only those no image carries are shown on their own.
  const perImage = new Set(d.images.flatMap((im) => im.warnings));
  for (const w of d.summary.warnings) if (!perImage.has(w)) items.push(li(`measure: ${e(w)}`));
  const policy = d.summary.spec?.edgePolicy;
  for (const [k, im] of d.images.entries()) {
    const link = `<a href="#${imageAnchor(k)}">${e(im.name)}</a>`;
    for (const w of im.warnings) items.push(li(`${link}: ${e(w)}`));
    if (im.unmeasuredAreaFraction !== null && im.unmeasuredAreaFraction > 0) {
      items.push(li(`${link}: ${e(pct(im.unmeasuredAreaFraction))} of the particle area ${e(unmeasuredWhere(im, d.summary.spec?.minSizePx))} and is not in the vector`));
    }
    if (im.edgeTouching !== null && im.edgeTouching > 0) {
      const what = policy === 'exclude' ? 'left out of the vector (--edge exclude)' : policy === 'include' ? 'kept in the vector (--edge include)' : 'counted in the table';
      items.push(li(`${link}: ${im.edgeTouching} of ${im.particles ?? '?'} particles touch the image or ROI edge, ${what}`));
    }
  }
  if (d.summary.noTruth.length) items.push(li(`no truth row for: ${e(d.summary.noTruth.join(', '))}`));
  const missing = d.evaluation?.missing;
  if (missing?.noPrediction.length) items.push(li(`evaluation.json: no prediction for ${e(missing.noPrediction.join(', '))}`));
  if (missing?.undefinedVector.length) items.push(li(`evaluation.json: no measurable particle (undefined vector) in ${e(missing.undefinedVector.join(', '))}`));
  return items;
}

function warningsSection(d: RunData): string {
  const items = warningItems(d);
  const body = items.length ? `<ul class="warnings">${items.join('')}</ul>` : '<p>None.</p>';
  return `<section class="card" id="warnings"><h2>Warnings and notes</h2>${body}</section>`;
}

function overviewSection(d: RunData): string {
  const bins = d.bins ?? [];
  const withTruth = d.images.some((im) => im.metrics?.rmse !== undefined && im.metrics.rmse !== null);
  const d50 = d.images.some((im) => im.percentiles.some((p) => p.name === 'D50'));
  const unit = d.summary.spec?.unit ?? '';
  const head = ['image', 'status', 'size (px)', 'particles', ...(d.bins ? ['binned'] : []), ...bins.map(binLabel), ...(d50 ? [`D50 (${unit})`] : []), ...(withTruth ? ['RMSE'] : [])];
  const rows = d.images.map((im, k) => {
    const cells = [
      `<a href="#${imageAnchor(k)}">${e(im.name)}</a>`,
      `<span class="status-${e(im.status)}">${e(im.status)}</span>`,
      im.width !== null && im.height !== null ? `${im.width} × ${im.height}` : '–',
      im.particles === null ? '–' : String(im.particles),
      ...(d.bins ? [im.binned === null ? '–' : String(im.binned)] : []),
      ...bins.map((_, b) => fmt(im.vector?.[b], 3)),
      ...(d50 ? [fmt(im.percentiles.find((p) => p.name === 'D50')?.value, 2)] : []),
      ...(withTruth ? [fmt(im.metrics?.rmse, 4)] : []),
    ];
    return `<tr data-image="${k}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<section class="card" id="overview"><h2>Images</h2><div class="scroll"><table class="overview"><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div></section>`;
}

function vectorTable(d: RunData, im: ReportImage): string {
  const bins = d.bins ?? [];
  const truth = im.truth;
  const head = ['bin', 'measured', ...(truth ? ['truth', 'difference'] : [])];
  const rows = bins.map((b, k) => {
    const v = im.vector?.[k];
    const t = truth?.[k];
    const cells = [e(binLabel(b)), fmt(v, 3), ...(truth ? [fmt(t, 3), v !== null && v !== undefined && t !== undefined ? fmt(v - t, 3) : '–'] : [])];
    return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<table class="vector"><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function scoresOf(im: ReportImage): string {
  const m = im.metrics;
  if (!m) return '';
  const cards = [metric('RMSE', fmt(m.rmse, 4))];
  if (m.source === 'evaluation.json') {
    cards.push(metric('MAE', fmt(m.mae, 4)), metric('max bin error', fmt(m.maxBinError, 4)), metric('KL', fmt(m.kl, 4)), metric('constant RMSE', fmt(m.rmseConstant, 4)));
  }
  const group = m.group ? ` <span class="muted">(group ${e(m.group)})</span>` : '';
  return `<h3>Scores against the truth${group}</h3><div class="metrics">${cards.join('')}</div>`;
}

function viewer(d: RunData, im: ReportImage, k: number, src: string | null, layer: string | null, eager: boolean, embedded: boolean): string {
  const why = d.summary.overlays === 'none' ? `No overlay for ${e(im.name)}: the run was made with --overlays none.` : `No overlay image for ${e(im.name)}.`;
  if (!src && !layer) return `<div class="viewer" data-image="${k}"><div class="viewport"><p class="missing">${why}</p></div></div>`;
  const open = embedded || !src ? '' : ` <a href="${e(src)}" target="_blank" rel="noopener">open full size</a>`;
  const lazy = eager ? '' : ' loading="lazy"';
  const toggle = layer && src ? '<button type="button" data-layer aria-pressed="true" title="outlines coloured by bin, or as segment drew them (by id)">outlines by bin</button>' : '';
  const photo = src ? `<img class="photo" src="${e(src)}" alt="${e(`overlay of ${im.name}: outlines and ids of the particles`)}" draggable="false"${lazy}>` : '';
  const outlines = layer ? `<img class="layer" src="${e(layer)}" alt="${e(`outlines of the particles of ${im.name}, coloured by bin`)}" draggable="false"${lazy}>` : '';
  return (
    `<div class="viewer" data-image="${k}">` +
    `<div class="toolbar"><button type="button" data-zoom="in" title="zoom in">+</button><button type="button" data-zoom="out" title="zoom out">−</button>` +
    `<button type="button" data-zoom="fit">fit</button><button type="button" data-zoom="actual" title="one image pixel per screen pixel">1:1</button>${toggle}<span class="zoom-level"></span>${open}</div>` +
    `<div class="viewport">${photo}${outlines}<div class="marker"></div></div>` +
    (layer ? outlineLegend(d) : '') +
    (src ? '' : `<p class="muted">${why} The outlines are shown alone.</p>`) +
    `<p class="muted">Wheel, buttons or double-click to zoom, drag to pan; click a row of the table to find its particle.</p></div>`
  );
}

function particlesBlock(im: ReportImage, k: number, href: string | null): string {
  const t = im.table;
  if (!t) return '<p class="muted">No particle table.</p>';
  const head = t.columns.map((c) => `<th><button type="button">${e(c)}</button></th>`).join('');
  const link = href ? `<a href="${e(href)}" download>${e(`${im.name}.csv`)}</a>` : '';
  return (
    `<h3>Particles (${t.rows.length})</h3><div class="particles-box"><div class="table-box"><table class="particles" data-src="particles-${k}" data-image="${k}"><thead><tr>${head}</tr></thead><tbody></tbody></table></div>` +
    `<div class="table-foot"><span class="row-count muted"></span>${link}</div></div>` +
    `<script type="application/json" id="particles-${k}">${jsonForScript(t)}</script>`
  );
}

/** D-values, then Cu and Cc when the run wrote them. */
function sieveTable(percentiles: readonly { name: string; value: number | null }[], cu: number | null, cc: number | null): string {
  const cols = [...percentiles.map((p) => [e(p.name), fmt(p.value, 2)]), ...(cu !== null || cc !== null ? [['Cu', fmt(cu, 2)], ['Cc', fmt(cc, 2)]] : [])];
  return `<table class="percentiles"><thead><tr>${cols.map((c) => `<th>${c[0]}</th>`).join('')}</tr></thead><tbody><tr>${cols.map((c) => `<td>${c[1]}</td>`).join('')}</tr></tbody></table>`;
}

/** The batch as one sample: histograms-pooled.csv's row, and the curve of all particles beside the mean truth. */
function batchSection(d: RunData, options: RenderOptions): string {
  const b = d.batch;
  const spec = d.summary.spec;
  if (!b || !spec || !d.bins) return '';
  const unit = spec.unit;
  const parts: string[] = [`<section class="card" id="batch"><h2>Batch: all particles pooled</h2>`];
  const row = b.row;
  const n = row?.n ?? null;
  parts.push(
    `<p class="muted">${e(`${b.images} image(s)${n !== null ? `, ${n} particle(s)` : ''} in one ${WEIGHT_NAMES[spec.weight] ?? spec.weight}-weighted distribution (each particle counts with its own weight, so photos of larger stones weigh more)`)}${b.file ? '' : e(': no histograms-pooled.csv in this run (made before it); the curve is drawn from the particle tables')}.</p>`,
  );
  parts.push('<div class="image-grid"><div>');
  if (row) {
    parts.push(`<h3>Percentiles (${e(unit)})</h3>${sieveTable(row.percentiles, row.cu, row.cc)}`);
    parts.push(`<h3>Size vector</h3>${barChart(d.bins, row.vector, b.truth)}`);
  }
  const links = batchCsvLinks(d, options);
  if (links) parts.push(`<p>${links}</p>`);
  parts.push('</div><div>');
  const truthLabel = b.truth ? `truth (mean of ${b.images} photos)` : undefined;
  parts.push(`<h3>Percent passing</h3>${curveChart({ curve: b.curve, edges: spec.edges, unit, vector: row?.vector ?? null, truth: b.truth, dValues: row?.percentiles ?? [], label: 'all particles', ...(truthLabel ? { truthLabel } : {}) })}`);
  parts.push('</div></div></section>');
  return parts.join('');
}

/** The colours of the outline layer, as the legend under an image. */
function outlineLegend(d: RunData): string {
  const bins = d.bins ?? [];
  const colours = binColours(bins.length);
  // SVG presentation attributes, not style="": the page's CSP allows no inline style.
  const swatch = (css: string, text: string, dashed = false): string =>
    `<span class="swatch"><svg width="18" height="10" aria-hidden="true"><rect width="18" height="10" fill="#20242c"/><line x1="1" x2="17" y1="5" y2="5" stroke="${css}" stroke-width="3"${dashed ? ' stroke-dasharray="4 3"' : ''}/></svg>${e(text)}</span>`;
  const policy = d.summary.spec?.edgePolicy;
  const items = [
    ...bins.map((b, k) => swatch(rgbCss(colours[k]!), binLabel(b))),
    swatch(rgbCss(EDGE_RGB), policy === 'include' ? 'touching the edge (dashed, in its bin colour)' : 'touching the edge, not in the vector', true),
    ...((d.summary.spec?.minSizePx ?? 0) > 0 ? [swatch(rgbCss(UNMEASURED_RGB), 'below the detection limit')] : []),
  ];
  return `<p class="legend outline-legend">Outlines by bin: ${items.join(' ')}</p>`;
}

function imageSection(d: RunData, im: ReportImage, k: number, options: RenderOptions): string {
  const head = `<h2>${e(im.name)} <span class="status-${e(im.status)} muted">${e(im.status)}</span></h2>`;
  if (im.status === 'failed') {
    return `<section class="card image" id="${imageAnchor(k)}">${head}<p class="status-failed">${e(im.error ?? 'failed (no reason recorded)')}</p>${im.path ? `<p class="muted">${e(im.path)}</p>` : ''}</section>`;
  }
  const unit = d.summary.spec?.unit ?? '';
  const facts = [
    im.width !== null && im.height !== null ? `${im.width} × ${im.height} px` : null,
    d.summary.scales !== null && im.scale !== null ? `${im.scale} mm/px` : null,
    im.particles !== null ? `${im.particles} particles` : null,
    im.binned !== null ? `${im.binned} in the vector` : null,
    im.edgeTouching !== null ? `${im.edgeTouching} touching the edge` : null,
    im.seconds !== null ? `${im.seconds.toFixed(1)} s` : null,
    im.path,
  ].filter((x): x is string => x !== null);
  const src = options.assets.overlaySrc(im, k);
  const layer = options.assets.layerSrc?.(im, k) ?? null;
  const embedded = src?.startsWith('data:') ?? false;
  let side = '';
  if (d.bins && im.vector) {
    side += `<h3>Size vector <span class="muted">(${e(WEIGHT_NAMES[d.summary.spec?.weight ?? ''] ?? d.summary.spec?.weight ?? '')}-weighted)</span></h3>${barChart(d.bins, im.vector, im.truth)}${vectorTable(d, im)}`;
  } else side += '<p class="muted">No size vector (the run had no bins).</p>';
  if (im.percentiles.length) side += `<h3>Percentiles (${e(unit)})</h3>${sieveTable(im.percentiles, im.cu, im.cc)}`;
  if (d.bins && im.curve && d.summary.spec) {
    side += `<h3>Percent passing <span class="muted">(${e(WEIGHT_NAMES[d.summary.spec.weight] ?? d.summary.spec.weight)}-weighted)</span></h3>`;
    side += curveChart({ curve: im.curve, edges: d.summary.spec.edges, unit, vector: im.vector, truth: im.truth, dValues: im.percentiles });
  }
  side += scoresOf(im);
  const warn = [...im.warnings, ...(im.unmeasuredAreaFraction ? [`unmeasured: ${pct(im.unmeasuredAreaFraction)} of the particle area ${unmeasuredWhere(im, d.summary.spec?.minSizePx)}`] : [])];
  if (warn.length) side += `<h3>Warnings</h3><ul class="warnings">${warn.map((w) => `<li>${e(w)}</li>`).join('')}</ul>`;
  return (
    `<section class="card image" id="${imageAnchor(k)}">${head}<p class="muted">${e(facts.join(' · '))}</p>` +
    `<div class="image-grid">${viewer(d, im, k, src, layer, k < (options.eagerImages ?? 4), embedded)}<div class="side">${side}</div></div>` +
    `${particlesBlock(im, k, options.assets.csvHref(im, k))}</section>`
  );
}

/** Where an image's unmeasured area lies: below the detection limit, in unresolved clusters of fines, or both. */
function unmeasuredWhere(im: Pick<ReportImage, 'unmeasuredAreaFraction' | 'unresolvedAreaFraction'>, minSizePx: number | undefined): string {
  const clusters = im.unresolvedAreaFraction ?? 0;
  const below = (im.unmeasuredAreaFraction ?? 0) - clusters;
  const limit = `in particles below the detection limit (${minSizePx ?? '?'} px)`;
  if (clusters <= 0) return `lies ${limit}`;
  const inClusters = 'in clusters of grains too small to resolve';
  return below > 1e-9 ? `lies ${limit} (${pct(below)}) or ${inClusters} (${pct(clusters)})` : `lies ${inClusters}`;
}

/** The whole page. Pure: the same data, assets and date give the same text. */
export function renderReport(d: RunData, options: RenderOptions): string {
  const now = options.now ?? new Date();
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(CLIENT_SCRIPT)}`,
    `style-src ${sha256(REPORT_CSS)}`,
    "img-src 'self' data: file:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const title = `photosieve report: ${basename(d.dir) || d.dir}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${e(csp)}">`,
    `<title>${e(title)}</title>`,
    `<style>${REPORT_CSS}</style></head><body>`,
    `<header><h1>${e(title)}</h1><p class="muted">Particle-size distributions measured from photos by <code>photosieve segment</code>; values as written in the run folder.</p>`,
    '<noscript><p>The zoom and the particle tables need JavaScript; the same tables are in particles/NAME.csv.</p></noscript></header>',
    '<main>',
    summarySection(d, options),
    batchSection(d, options),
    warningsSection(d),
    overviewSection(d),
    ...d.images.map((im, k) => imageSection(d, im, k, options)),
    '</main>',
    `<footer>Made by photosieve report on ${e(now.toISOString())} from ${e(d.dir)}. Self-contained: it opens offline and makes no network request.</footer>`,
    `<script>${CLIENT_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
