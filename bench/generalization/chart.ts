// The generalization benchmark's chart as a self-contained SVG: per method, mean RMSE on seen and on unseen groups
// (bars) with each group's own RMSE as a dot, on one shared axis. No chart library: a few rectangles and labels.
import { escapeHtml as esc } from '../../src/report/html.js';

export interface ChartRow {
  method: string;
  seen: { rmse: number };
  unseen: { rmse: number };
  perGroup: Record<string, number>;
}

export function renderChart(rows: readonly ChartRow[], o: { title: string }): string {
  const left = 350;
  const width = 950;
  const plotW = width - left - 80;
  const rowH = 46;
  const top = 56;
  const height = top + rows.length * rowH + 56;
  const all = rows.flatMap((r) => [r.seen.rmse, r.unseen.rmse, ...Object.values(r.perGroup)]).filter(Number.isFinite);
  const max = Math.ceil((Math.max(...all, 0.05) * 1.05) / 0.05) * 0.05;
  const x = (v: number): number => left + (Math.min(v, max) / max) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`);
  // Legend.
  out.push(`<rect x="${left}" y="32" width="14" height="10" fill="#9ecae1"/><text x="${left + 20}" y="41">seen groups (test images)</text>`);
  out.push(`<rect x="${left + 200}" y="32" width="14" height="10" fill="#08519c"/><text x="${left + 220}" y="41">unseen groups</text>`);
  out.push(`<circle cx="${left + 340}" cy="37" r="3" fill="#f28e2b"/><text x="${left + 348}" y="41">one group (mean of its images)</text>`);
  // Grid and axis.
  for (let v = 0; v <= max + 1e-9; v += 0.05) {
    const gx = x(v).toFixed(1);
    out.push(`<line x1="${gx}" x2="${gx}" y1="${top - 4}" y2="${top + rows.length * rowH}" stroke="#ddd"/>`);
    out.push(`<text x="${gx}" y="${top + rows.length * rowH + 16}" text-anchor="middle" fill="#444">${v.toFixed(2)}</text>`);
  }
  out.push(`<text x="${left + plotW / 2}" y="${top + rows.length * rowH + 36}" text-anchor="middle">RMSE of the 5-bin vector (lower is better)</text>`);
  rows.forEach((r, k) => {
    const y0 = top + k * rowH;
    out.push(`<text x="${left - 8}" y="${y0 + 24}" text-anchor="end">${esc(r.method)}</text>`);
    const bars: [number, string, string][] = [
      [r.seen.rmse, '#9ecae1', 'seen'],
      [r.unseen.rmse, '#08519c', 'unseen'],
    ];
    bars.forEach(([v, colour], j) => {
      const by = y0 + 6 + j * 17;
      if (!Number.isFinite(v)) return;
      out.push(`<rect x="${left}" y="${by}" width="${(x(v) - left).toFixed(1)}" height="15" fill="${colour}"/>`);
      out.push(`<text x="${left + plotW + 10}" y="${by + 12}" font-size="12" fill="#222">${v.toFixed(3)}</text>`);
    });
    for (const [g, v] of Object.entries(r.perGroup)) {
      if (!Number.isFinite(v)) continue;
      const cy = y0 + 6 + (g.startsWith('h') ? 17 : 0) + 7.5;
      out.push(`<circle cx="${x(v).toFixed(1)}" cy="${cy}" r="3" fill="#f28e2b" stroke="#fff" stroke-width="0.8"><title>${esc(g)}: ${v.toFixed(3)}</title></circle>`);
    }
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
