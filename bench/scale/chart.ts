// The scale benchmark's chart as a self-contained SVG: one panel per photo set, recall at IoU 0.5 per octave of
// the true b-axis, one line per resolution. A measuring instrument draws the same line at every resolution.
import { escapeHtml as esc } from '../../src/report/html.js';

interface ChartSet {
  set: string;
  resolutions: { factor: number; octaves: { lo: number; hi: number; n: number; recall: number }[] }[];
}

const COLOURS = ['#c6dbef', '#6baed6', '#08519c', '#f28e2b', '#d62728', '#2ca02c'];

export function renderScaleChart(sets: readonly ChartSet[], o: { title: string }): string {
  const panelW = 440;
  const panelH = 260;
  const left = 60;
  const top = 78;
  const width = left + sets.length * (panelW + 40) + 20;
  const height = top + panelH + 80;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`);
  const factors = [...new Set(sets.flatMap((s) => s.resolutions.map((r) => r.factor)))].sort((a, b) => a - b);
  factors.forEach((f, k) => {
    const lx = left + k * 90;
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="38" y2="38" stroke="${COLOURS[k % COLOURS.length]}" stroke-width="3"/><text x="${lx + 24}" y="42">${f}×</text>`);
  });
  sets.forEach((s, si) => {
    const x0 = left + si * (panelW + 40);
    const octaves = s.resolutions[0]?.octaves ?? [];
    const step = panelW / Math.max(1, octaves.length);
    const x = (k: number): number => x0 + step * (k + 0.5);
    const y = (v: number): number => top + panelH * (1 - v);
    out.push(`<text x="${x0 + panelW / 2}" y="${top - 6}" text-anchor="middle" font-weight="bold">${esc(s.set)}</text>`);
    for (let v = 0; v <= 1.0001; v += 0.25) {
      out.push(`<line x1="${x0}" x2="${x0 + panelW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
      out.push(`<text x="${x0 - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#444">${v.toFixed(2)}</text>`);
    }
    octaves.forEach((oc, k) => out.push(`<text x="${x(k).toFixed(1)}" y="${top + panelH + 16}" text-anchor="middle" fill="#444">${oc.lo}-${oc.hi}</text>`));
    out.push(`<text x="${x0 + panelW / 2}" y="${top + panelH + 36}" text-anchor="middle">true b-axis at that resolution, px</text>`);
    s.resolutions.forEach((r) => {
      const colour = COLOURS[factors.indexOf(r.factor) % COLOURS.length]!;
      const pts = r.octaves.map((oc, k) => (oc.n >= 5 && Number.isFinite(oc.recall) ? `${x(k).toFixed(1)},${y(oc.recall).toFixed(1)}` : null));
      // Lines only between octaves with at least 5 particles; gaps where an octave is empty.
      let run: string[] = [];
      const flush = (): void => {
        if (run.length > 1) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2.5" points="${run.join(' ')}"/>`);
        run = [];
      };
      for (const p of pts) {
        if (p === null) flush();
        else run.push(p);
      }
      flush();
      for (const p of pts) if (p) out.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${colour}"/>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
