// The report's inline CSS and JavaScript. Kept as text (not as a compiled function's source: transpilers add
// helpers to those that do not exist in a browser). Plain ES2020, no library, no network: zoom/pan for overlays
// and sortable particle tables that put only the rows in view into the page. The browser test (test/report/browser.test.ts) runs it.

export const REPORT_CSS = `
:root { --ink: #1d2330; --muted: #5b6474; --line: #d9dee7; --bg: #f6f7f9; --pred: #2f6fb3; --truth: #e39b2d; --bad: #b3261e; --warn: #8a5a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header, main { max-width: 1280px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 18px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 10px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
.muted { color: var(--muted); }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 14px 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.metrics { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0 0; }
.metric { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; min-width: 110px; }
.metric b { display: block; font-size: 18px; }
table { border-collapse: collapse; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #eef1f5; position: sticky; top: 0; z-index: 1; }
td.failed, .status-failed { color: var(--bad); font-weight: 600; }
.scroll { overflow: auto; max-width: 100%; }
.image-grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(300px, 2fr); gap: 18px; }
@media (max-width: 900px) { .image-grid { grid-template-columns: 1fr; } }
.viewer { display: flex; flex-direction: column; gap: 6px; }
.viewport { position: relative; height: 520px; overflow: hidden; background: #20242c; border-radius: 6px; cursor: grab; touch-action: none; user-select: none; }
.viewport.dragging { cursor: grabbing; }
.viewport img { position: absolute; left: 0; top: 0; transform-origin: 0 0; max-width: none; }
.viewport img.pixelated { image-rendering: pixelated; }
.viewport .marker { position: absolute; width: 28px; height: 28px; margin: -14px 0 0 -14px; border: 3px solid #ff2d55; border-radius: 50%; pointer-events: none; display: none; box-shadow: 0 0 0 2px #fff; }
.viewport .missing { color: #fff; padding: 20px; }
.toolbar { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
button { font: inherit; padding: 2px 10px; border: 1px solid var(--line); border-radius: 5px; background: #fff; cursor: pointer; }
button:hover { background: #eef1f5; }
.zoom-level { min-width: 56px; text-align: right; color: var(--muted); }
svg.bars { max-width: 100%; height: auto; font-size: 11px; }
svg.bars .grid { stroke: #e6e9ef; }
svg.bars .axis { stroke: #8a93a3; }
svg.bars .tick, svg.bars .legend, svg.bars .bin { fill: #4a5262; }
svg.bars .note { fill: var(--bad); font-size: 13px; }
svg.bars rect.pred { fill: var(--pred); }
svg.bars rect.truth { fill: var(--truth); }
svg.curve { max-width: 100%; height: auto; font-size: 11px; }
svg.curve .grid { stroke: #e6e9ef; }
svg.curve .axis { stroke: #8a93a3; }
svg.curve line.edge { stroke: #aab2c0; stroke-dasharray: 3 3; }
svg.curve .tick, svg.curve .legend, svg.curve .axis-label { fill: #4a5262; }
svg.curve .note { fill: var(--bad); font-size: 13px; }
svg.curve path.pred, svg.curve line.pred { fill: none; stroke: var(--pred); stroke-width: 2; }
svg.curve rect.pred-edge { fill: #fff; stroke: var(--pred); stroke-width: 1.5; }
svg.curve polyline.truth, svg.curve line.truth { fill: none; stroke: var(--truth); stroke-width: 2; stroke-dasharray: 6 3; }
svg.curve circle.truth { fill: var(--truth); }
svg.curve circle.dvalue { fill: var(--pred); stroke: #fff; }
.viewport img.layer.off { display: none; }
.outline-legend { font-size: 12px; display: flex; flex-wrap: wrap; gap: 4px 12px; margin: 0; }
.swatch { display: inline-flex; align-items: center; gap: 4px; }
button[aria-pressed="true"] { background: #e3ecf8; border-color: var(--pred); }
ul.warnings { margin: 6px 0; padding-left: 20px; }
ul.warnings li { color: var(--warn); }
ul.warnings li.error { color: var(--bad); }
table.particles td, table.particles th { overflow: hidden; text-overflow: ellipsis; font-variant-numeric: tabular-nums; }
table.particles tr.spacer td { padding: 0; border: 0; }
table.particles th button { border: 0; background: none; padding: 0; font-weight: 600; cursor: pointer; }
table.particles th[aria-sort="ascending"] button::after { content: " \\25B2"; }
table.particles th[aria-sort="descending"] button::after { content: " \\25BC"; }
table.particles tbody tr { cursor: pointer; }
table.particles tbody tr:hover { background: #f0f4fa; }
table.particles tbody tr.selected { background: #ffe3ea; }
.table-box { max-height: 460px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.table-foot { margin-top: 6px; display: flex; gap: 10px; align-items: center; }
footer { max-width: 1280px; margin: 20px auto; padding: 0 20px; color: var(--muted); font-size: 12px; }
`;

export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var viewers = {};

  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }

  // Overlay viewer: wheel or buttons zoom about a point, drag pans, double-click zooms in. The outlines coloured by
  // bin lie on the overlay (or alone without one), scaled to the same image pixels; a button shows or hides them.
  function setupViewer(v) {
    var box = v.querySelector('.viewport');
    var img = box.querySelector('img.photo') || box.querySelector('img');
    var layer = box.querySelector('img.layer');
    if (layer === img) layer = null;
    var marker = box.querySelector('.marker');
    var level = v.querySelector('.zoom-level');
    if (!img) return;
    var st = { s: 1, x: 0, y: 0, fit: 1, mark: null };
    function apply() {
      img.style.transform = 'translate(' + st.x + 'px,' + st.y + 'px) scale(' + st.s + ')';
      img.classList.toggle('pixelated', st.s >= 2);
      if (layer && layer.naturalWidth) {
        var k = st.s * img.naturalWidth / layer.naturalWidth;
        layer.style.transform = 'translate(' + st.x + 'px,' + st.y + 'px) scale(' + k + ')';
        layer.classList.toggle('pixelated', k >= 2);
      }
      if (level) level.textContent = Math.round(st.s * 100) + ' %';
      if (marker && st.mark) {
        marker.style.display = 'block';
        marker.style.left = (st.x + st.mark[0] * st.s) + 'px';
        marker.style.top = (st.y + st.mark[1] * st.s) + 'px';
      }
    }
    function fit() {
      var w = img.naturalWidth, h = img.naturalHeight;
      if (!w || !h) return;
      st.fit = Math.min(box.clientWidth / w, box.clientHeight / h);
      st.s = st.fit;
      st.x = (box.clientWidth - w * st.s) / 2;
      st.y = (box.clientHeight - h * st.s) / 2;
      apply();
    }
    function zoomAt(factor, cx, cy) {
      var s = clamp(st.s * factor, Math.min(st.fit, 1) / 2, 32);
      var k = s / st.s;
      st.x = cx - (cx - st.x) * k;
      st.y = cy - (cy - st.y) * k;
      st.s = s;
      apply();
    }
    function centre() { return [box.clientWidth / 2, box.clientHeight / 2]; }
    if (img.complete && img.naturalWidth) fit(); else img.addEventListener('load', fit);
    if (layer) layer.addEventListener('load', apply);
    var toggle = v.querySelector('button[data-layer]');
    if (toggle && layer) {
      toggle.addEventListener('click', function () {
        var on = toggle.getAttribute('aria-pressed') !== 'true';
        toggle.setAttribute('aria-pressed', on ? 'true' : 'false');
        layer.classList.toggle('off', !on);
      });
    }
    // A view left at "fit" follows the window's size; a zoomed one stays where the user put it.
    window.addEventListener('resize', function () { if (st.s === st.fit) fit(); });
    img.addEventListener('error', function () {
      var p = document.createElement('p');
      p.className = 'missing';
      p.textContent = 'The overlay image could not be loaded (' + img.getAttribute('src').slice(0, 80) + ').';
      box.replaceChildren(p);
    });
    box.addEventListener('wheel', function (e) {
      e.preventDefault();
      var r = box.getBoundingClientRect();
      zoomAt(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    box.addEventListener('dblclick', function (e) {
      var r = box.getBoundingClientRect();
      zoomAt(2, e.clientX - r.left, e.clientY - r.top);
    });
    var drag = null;
    box.addEventListener('pointerdown', function (e) {
      drag = { id: e.pointerId, x: e.clientX, y: e.clientY, sx: st.x, sy: st.y };
      box.setPointerCapture(e.pointerId);
      box.classList.add('dragging');
    });
    box.addEventListener('pointermove', function (e) {
      if (!drag || drag.id !== e.pointerId) return;
      st.x = drag.sx + e.clientX - drag.x;
      st.y = drag.sy + e.clientY - drag.y;
      apply();
    });
    function end() { drag = null; box.classList.remove('dragging'); }
    box.addEventListener('pointerup', end);
    box.addEventListener('pointercancel', end);
    v.querySelectorAll('button[data-zoom]').forEach(function (b) {
      b.addEventListener('click', function () {
        var c = centre();
        var what = b.getAttribute('data-zoom');
        if (what === 'in') zoomAt(1.5, c[0], c[1]);
        else if (what === 'out') zoomAt(1 / 1.5, c[0], c[1]);
        else if (what === 'actual') zoomAt(1 / st.s, c[0], c[1]);
        else fit();
      });
    });
    viewers[v.getAttribute('data-image')] = {
      // Centres the view on an image point (a particle's centroid) and rings it.
      focus: function (px, py) {
        st.s = Math.max(st.s, 2);
        var w = img.naturalWidth * st.s, h = img.naturalHeight * st.s;
        var bw = box.clientWidth, bh = box.clientHeight;
        // Centred on the point, but no empty band beside an image larger than the view.
        st.x = w > bw ? clamp(bw / 2 - px * st.s, bw - w, 0) : (bw - w) / 2;
        st.y = h > bh ? clamp(bh / 2 - py * st.s, bh - h, 0) : (bh - h) / 2;
        st.mark = [px, py];
        apply();
        box.scrollIntoView({ block: 'nearest' });
      }
    };
  }

  // Particle table: rows come from a JSON block, and only those in or near the scrolled view are in the page, so
  // thousands of rows sort and scroll at once. A header click sorts (again: reverses); a row click finds the particle.
  function setupTable(t) {
    var src = document.getElementById(t.getAttribute('data-src'));
    if (!src) return;
    var data = JSON.parse(src.textContent);
    var cols = data.columns;
    var order = data.rows.slice();
    var tbody = t.tBodies[0];
    var box = t.closest('.table-box');
    var count = t.closest('.particles-box').querySelector('.row-count');
    var xCol = cols.indexOf('x_px'), yCol = cols.indexOf('y_px');
    var image = t.getAttribute('data-image');
    var sortCol = -1, dir = 1, selected = null;
    var rowH = 0, from = -1, to = -1, pending = false;
    function cell(v) { return v === null ? '–' : String(v); }
    // Column widths from the longest text, fixed, so columns do not jump as rows come and go.
    var group = document.createElement('colgroup');
    var total = 0;
    cols.forEach(function (name, c) {
      var n = name.length + 2; // room for the sort arrow
      for (var i = 0; i < order.length; i++) n = Math.max(n, cell(order[i][c]).length + 1);
      var col = document.createElement('col');
      col.style.width = 'calc(' + n + 'ch + 16px)';
      group.appendChild(col);
      total += n;
    });
    t.insertBefore(group, t.firstChild);
    t.style.tableLayout = 'fixed';
    t.style.width = 'calc(' + total + 'ch + ' + cols.length * 16 + 'px)';
    function spacer(h) {
      var tr = document.createElement('tr');
      tr.className = 'spacer';
      var td = document.createElement('td');
      td.colSpan = cols.length;
      td.style.height = h + 'px';
      tr.appendChild(td);
      return tr;
    }
    function rowOf(row) {
      var tr = document.createElement('tr');
      for (var c = 0; c < cols.length; c++) {
        var td = document.createElement('td');
        td.textContent = cell(row[c]);
        tr.appendChild(td);
      }
      tr.rowData = row;
      if (row === selected) tr.className = 'selected';
      return tr;
    }
    function render(force) {
      var n = order.length;
      if (!rowH && n > 0) {
        tbody.replaceChildren(rowOf(order[0]));
        rowH = tbody.rows[0].getBoundingClientRect().height || 24;
      }
      var view = box.clientHeight || 460;
      var first = Math.max(0, Math.floor(box.scrollTop / (rowH || 24)) - 20);
      var last = Math.min(n, first + Math.ceil(view / (rowH || 24)) + 40);
      if (!force && first === from && last === to) return;
      from = first;
      to = last;
      var frag = document.createDocumentFragment();
      if (first > 0) frag.appendChild(spacer(first * rowH));
      for (var i = first; i < last; i++) frag.appendChild(rowOf(order[i]));
      if (last < n) frag.appendChild(spacer((n - last) * rowH));
      tbody.replaceChildren(frag);
      count.textContent = n + ' particles' + (sortCol >= 0 ? ', sorted by ' + cols[sortCol] + (dir === 1 ? ' (ascending)' : ' (descending)') : ', in file order');
    }
    box.addEventListener('scroll', function () {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () { pending = false; render(false); });
    });
    t.tHead.querySelectorAll('th').forEach(function (th, c) {
      var b = th.querySelector('button');
      if (!b) return;
      b.addEventListener('click', function () {
        dir = sortCol === c ? -dir : 1;
        sortCol = c;
        order.sort(function (a, b2) {
          var x = a[c], y = b2[c];
          if (x === null) return y === null ? 0 : 1;
          if (y === null) return -1;
          return (x - y) * dir;
        });
        t.tHead.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
        box.scrollTop = 0;
        render(true);
      });
    });
    tbody.addEventListener('click', function (e) {
      var tr = e.target.closest('tr');
      if (!tr || !tr.rowData) return;
      selected = tr.rowData;
      tbody.querySelectorAll('tr.selected').forEach(function (r) { r.classList.remove('selected'); });
      tr.classList.add('selected');
      var v = viewers[image];
      if (v && xCol >= 0 && yCol >= 0) v.focus(selected[xCol], selected[yCol]);
    });
    render(true);
  }

  document.querySelectorAll('.viewer').forEach(setupViewer);
  document.querySelectorAll('table.particles').forEach(setupTable);
})();
`;
