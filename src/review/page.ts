// The review page's HTML and CSS. The page loads only this server's files (its CSP says so): the stylesheet,
// polygon-clipping's browser build (a dependency already) and the page script of client.ts.
import { basename } from 'node:path';
import { escapeHtml } from '../report/html.js';

export const REVIEW_CSS = `
:root { --ink: #1d2330; --muted: #5b6474; --line: #d9dee7; --bg: #f6f7f9; --bad: #b3261e; --ok: #1e7b34; --accent: #2f6fb3; }
* { box-sizing: border-box; }
html, body { height: 100%; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); display: flex; flex-direction: column; }
header { display: flex; gap: 14px; align-items: baseline; padding: 8px 16px; border-bottom: 1px solid var(--line); background: #fff; }
header h1 { font-size: 17px; margin: 0; }
.muted { color: var(--muted); }
.status { margin-left: auto; font-weight: 600; }
.status.bad { color: var(--bad); }
.layout { flex: 1; display: grid; grid-template-columns: 250px minmax(0, 1fr); min-height: 0; }
aside { border-right: 1px solid var(--line); background: #fff; overflow: auto; padding: 8px; }
aside h2 { font-size: 14px; margin: 4px 4px 8px; }
#photos { list-style: none; margin: 0; padding: 0; }
#photos button { display: grid; grid-template-columns: 18px 1fr; width: 100%; text-align: left; border: 1px solid transparent; background: none; padding: 4px 6px; border-radius: 5px; cursor: pointer; font: inherit; }
#photos button:hover { background: #eef1f5; }
#photos button.current { border-color: var(--accent); background: #e8f0fa; }
#photos button:disabled { color: var(--muted); cursor: not-allowed; }
#photos .mark { color: var(--muted); }
#photos .reviewed .mark { color: var(--ok); font-weight: 700; }
#photos .name { overflow-wrap: anywhere; }
#photos .meta { grid-column: 2; font-size: 12px; color: var(--muted); }
main { display: flex; flex-direction: column; min-width: 0; min-height: 0; padding: 8px 12px; gap: 6px; }
.toolbar { display: flex; gap: 5px; flex-wrap: wrap; align-items: center; }
.toolbar button { font: inherit; padding: 3px 10px; border: 1px solid var(--line); border-radius: 5px; background: #fff; cursor: pointer; }
.toolbar button:hover { background: #eef1f5; }
.toolbar button.active { background: var(--accent); border-color: var(--accent); color: #fff; }
.toolbar button.on { border-color: var(--ok); color: var(--ok); font-weight: 600; }
.toolbar kbd { font-size: 11px; color: inherit; opacity: 0.7; }
.toolbar .sep { width: 10px; }
.viewport { position: relative; flex: 1; min-height: 300px; overflow: hidden; background: #20242c; border-radius: 6px; touch-action: none; user-select: none; cursor: default; }
.viewport[data-tool="split"], .viewport[data-tool="polygon"], .viewport[data-tool="erase"] { cursor: crosshair; }
.viewport img { position: absolute; left: 0; top: 0; transform-origin: 0 0; max-width: none; pointer-events: none; }
.viewport img.pixelated { image-rendering: pixelated; }
.viewport canvas { position: absolute; left: 0; top: 0; pointer-events: none; }
.info { display: flex; gap: 14px; flex-wrap: wrap; min-height: 20px; }
#hint.bad, #fine-tune-status.bad { color: var(--bad); }
.keys { margin: 0; font-size: 12px; color: var(--muted); }
`;

export function reviewPage(dir: string): string {
  const tool = (name: string, label: string, key: string, title: string): string => `<button type="button" data-tool="${name}" title="${escapeHtml(title)}">${label} <kbd>${key}</kbd></button>`;
  const action = (name: string, label: string, key: string, title: string): string => `<button type="button" data-action="${name}" title="${escapeHtml(title)}">${label}${key ? ` <kbd>${key}</kbd>` : ''}</button>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>photosieve review – ${escapeHtml(basename(dir))}</title>
<link rel="stylesheet" href="/review.css">
</head>
<body>
<header><h1>photosieve review</h1><span class="muted">${escapeHtml(dir)}</span><span id="save-status" class="status" role="status">loading…</span></header>
<div class="layout">
<aside><h2>Photos <span id="photo-count" class="muted"></span></h2><ul id="photos"></ul></aside>
<main>
<div class="toolbar">
${tool('select', 'Select', 'v', 'Click a particle to select it, shift+click to add or remove one; drag to pan')}
${tool('split', 'Split', 's', 'Drag a straight line across a particle (the selected one, or the one under the middle of the line)')}
${tool('polygon', 'Polygon', 'p', 'Click the corners of a new particle; Enter, a double-click or a click on the first corner closes it')}
${tool('erase', 'Erase', 'e', 'Click the corners of an area to cut out of the selected particles (or of every particle it touches)')}
<span class="sep"></span>
${action('delete', 'Delete', 'd', 'Delete the selected particles')}
${action('merge', 'Merge', 'm', 'Merge the selected particles into one')}
${action('undo', 'Undo', 'ctrl+z', 'Undo the last edit')}
${action('redo', 'Redo', 'ctrl+shift+z', 'Redo')}
${action('fit', 'Fit', 'f', 'Show the whole photo')}
<span class="sep"></span>
${action('reviewed', 'Mark reviewed', 'r', 'Mark this photo reviewed (again: not reviewed)')}
<span class="sep"></span>
${action('fine-tune', 'Fine-tune on reviewed', '', 'Train a model from this run’s model on the photos marked reviewed (few minutes, in the background); it is written to DIR/review/model')}
</div>
<div id="viewport" class="viewport" data-tool="select"><img id="photo" alt="" draggable="false"><canvas id="outlines"></canvas><canvas id="overlay"></canvas></div>
<div class="info"><span id="particle-count"></span><span id="selection"></span><span id="hint"></span><span id="fine-tune-status" role="status"></span></div>
<p class="keys">Wheel: zoom · drag (right button or space+drag while splitting): pan · Esc: cancel / select tool · Backspace: drop the last corner · edits are saved automatically</p>
</main>
</div>
<script src="/vendor/polygon-clipping.js"></script>
<script src="/review.js"></script>
</body>
</html>
`;
}
