// The review page's script, kept as text like the report's (src/report/client.ts): plain ES2020, no build step,
// no library but polygon-clipping's browser build (window.polygonClipping) for merge, split, draw and erase.
//
// Drawing: the photo is an <img> moved by a CSS transform; outlines go on a canvas the size of the view, from
// one cached Path2D per 128-px cell of the photo (each particle belongs to the cell of its top-left corner), so a
// pan or zoom strokes a few hundred paths however many particles there are; an edit clears and redraws only the
// rectangle it touched. Selection and the shape being drawn have a canvas of their own.
// Saving: each edit marks particles changed or removed; 400 ms after the last edit the changes (not the whole
// set) go to the server with the version they are based on. Failed saves keep the changes and retry.

export const REVIEW_SCRIPT = String.raw`
(function () {
  'use strict';
  var pc = window.polygonClipping;
  var CELL = 128, ROW = 65536, MAX_ID = 65535, SAVE_DELAY = 400, BRIDGE = 0.55;
  function $(id) { return document.getElementById(id); }
  var box = $('viewport'), img = $('photo'), outlines = $('outlines'), overlay = $('overlay');
  var octx = outlines.getContext('2d'), vctx = overlay.getContext('2d');
  var statusEl = $('save-status'), hintEl = $('hint');

  var photos = [];
  var ph = null;
  var tool = 'select';
  var sel = [];
  var draft = [];
  var line = null;
  var cursor = null;
  var view = { s: 1, x: 0, y: 0, fit: 1 };
  var dpr = 1;
  var saving = null, saveTimer = 0, saveError = null, conflict = false;
  var spaceDown = false;

  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }
  function hint(text, bad) { hintEl.textContent = text || ''; hintEl.className = bad ? 'bad' : ''; }

  // ---- geometry: particles hold flat rings [x0, y0, x1, y1, ...], polygon-clipping wants [[x, y], ...] ----
  function bboxOf(polys) {
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    polys.forEach(function (poly) {
      var r = poly[0];
      for (var k = 0; k < r.length; k += 2) {
        if (r[k] < b[0]) b[0] = r[k];
        if (r[k] > b[2]) b[2] = r[k];
        if (r[k + 1] < b[1]) b[1] = r[k + 1];
        if (r[k + 1] > b[3]) b[3] = r[k + 1];
      }
    });
    return b;
  }
  function unionBox(a, b) { return a ? [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])] : b.slice(); }
  function boxesMeet(a, b) { return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]; }
  function ringArea(r) {
    var a = 0, n = r.length;
    for (var k = 0; k < n; k += 2) { var j = (k + 2) % n; a += r[k] * r[j + 1] - r[j] * r[k + 1]; }
    return Math.abs(a) / 2;
  }
  function areaOf(polys) {
    var a = 0;
    polys.forEach(function (poly) { poly.forEach(function (r, k) { a += k === 0 ? ringArea(r) : -ringArea(r); }); });
    return a;
  }
  function make(id, polys) { return { id: id, polys: polys, box: bboxOf(polys), area: areaOf(polys), path: null }; }
  function toPC(polys) {
    return polys.map(function (poly) {
      return poly.map(function (r) { var out = []; for (var k = 0; k < r.length; k += 2) out.push([r[k], r[k + 1]]); return out; });
    });
  }
  function flat(ring) {
    var out = [];
    for (var k = 0; k < ring.length; k++) {
      var p = ring[k], n = out.length;
      if (n >= 2 && out[n - 2] === p[0] && out[n - 1] === p[1]) continue;
      out.push(p[0], p[1]);
    }
    var m = out.length;
    if (m >= 4 && out[0] === out[m - 2] && out[1] === out[m - 1]) out.length = m - 2;
    return out;
  }
  function fromPC(mp) {
    var out = [];
    mp.forEach(function (poly) {
      var outer = flat(poly[0] || []);
      if (outer.length < 6 || ringArea(outer) < 1e-6) return;
      var rings = [outer];
      for (var k = 1; k < poly.length; k++) { var h = flat(poly[k]); if (h.length >= 6) rings.push(h); }
      out.push(rings);
    });
    return out;
  }
  function call(op, geoms) { return pc[op].apply(pc, geoms); }
  function shifted(g, dx, dy) { return g.map(function (poly) { return poly.map(function (r) { return r.map(function (p) { return [p[0] + dx, p[1] + dy]; }); }); }); }
  // Traced outlines run a quarter pixel inside their pixels, so two touching stones' outlines lie half a pixel
  // apart. Grown by 0.55 px (more than the gap, less than the 0.75 px from an outline to the nearest pixel centre
  // outside it), the two overlap across the whole gap and a little into each other: that overlap joins them.
  function grown(g) { return call('union', [g, shifted(g, BRIDGE, 0), shifted(g, -BRIDGE, 0), shifted(g, 0, BRIDGE), shifted(g, 0, -BRIDGE)]); }
  function inside(p, x, y) {
    var b = p.box;
    if (x < b[0] || x > b[2] || y < b[1] || y > b[3]) return false;
    var c = false;
    p.polys.forEach(function (poly) {
      poly.forEach(function (r) {
        for (var i = 0, n = r.length, j = n - 2; i < n; j = i, i += 2) {
          var yi = r[i + 1], yj = r[j + 1];
          if ((yi > y) !== (yj > y) && x < (r[j] - r[i]) * (y - yi) / (yj - yi) + r[i]) c = !c;
        }
      });
    });
    return c;
  }

  // ---- one photo: particles by id, a grid of cells for hit tests and redraws, cached cell paths ----
  function Photo(data) {
    this.name = data.name;
    this.width = data.width;
    this.height = data.height;
    this.version = data.version;
    this.reviewed = data.reviewed;
    this.byId = new Map();
    this.cover = new Map();
    this.owned = new Map();
    this.cellPath = new Map();
    this.maxW = 0;
    this.maxH = 0;
    this.nextId = 1;
    this.undo = [];
    this.redo = [];
    this.upsert = new Map();
    this.remove = new Set();
    var self = this;
    data.particles.forEach(function (q) { self.add(make(q.id, q.polygons)); });
  }
  function cellRange(b) { return [Math.max(0, Math.floor(b[0] / CELL)), Math.max(0, Math.floor(b[1] / CELL)), Math.floor(b[2] / CELL), Math.floor(b[3] / CELL)]; }
  function ownerOf(p) { var r = cellRange(p.box); return r[1] * ROW + r[0]; }
  Photo.prototype.add = function (p) {
    this.byId.set(p.id, p);
    if (p.id >= this.nextId) this.nextId = p.id + 1;
    var r = cellRange(p.box);
    for (var cy = r[1]; cy <= r[3]; cy++) {
      for (var cx = r[0]; cx <= r[2]; cx++) {
        var s = this.cover.get(cy * ROW + cx);
        if (!s) this.cover.set(cy * ROW + cx, (s = new Set()));
        s.add(p.id);
      }
    }
    var own = ownerOf(p), o = this.owned.get(own);
    if (!o) this.owned.set(own, (o = new Set()));
    o.add(p.id);
    this.cellPath.delete(own);
    this.maxW = Math.max(this.maxW, p.box[2] - p.box[0]);
    this.maxH = Math.max(this.maxH, p.box[3] - p.box[1]);
  };
  Photo.prototype.del = function (id) {
    var p = this.byId.get(id);
    if (!p) return;
    var r = cellRange(p.box);
    for (var cy = r[1]; cy <= r[3]; cy++) for (var cx = r[0]; cx <= r[2]; cx++) { var s = this.cover.get(cy * ROW + cx); if (s) s.delete(id); }
    var own = ownerOf(p);
    this.owned.get(own).delete(id);
    this.cellPath.delete(own);
    this.byId.delete(id);
  };
  Photo.prototype.near = function (b) {
    var r = cellRange(b), seen = new Set(), out = [], self = this;
    for (var cy = r[1]; cy <= r[3]; cy++) {
      for (var cx = r[0]; cx <= r[2]; cx++) {
        var s = this.cover.get(cy * ROW + cx);
        if (s) s.forEach(function (id) { if (!seen.has(id)) { seen.add(id); var p = self.byId.get(id); if (boxesMeet(p.box, b)) out.push(p); } });
      }
    }
    return out;
  };
  Photo.prototype.at = function (x, y) {
    var best = null;
    this.near([x, y, x, y]).forEach(function (p) { if (inside(p, x, y) && (!best || p.area < best.area)) best = p; });
    return best;
  };
  Photo.prototype.newId = function () { return this.nextId <= MAX_ID ? this.nextId++ : 0; };
  function pathOf(p) {
    if (!p.path) {
      var path = new Path2D();
      p.polys.forEach(function (poly) {
        poly.forEach(function (r) {
          path.moveTo(r[0], r[1]);
          for (var k = 2; k < r.length; k += 2) path.lineTo(r[k], r[k + 1]);
          path.closePath();
        });
      });
      p.path = path;
    }
    return p.path;
  }
  Photo.prototype.ownedPath = function (key) {
    var path = this.cellPath.get(key);
    if (!path) {
      path = new Path2D();
      var self = this;
      this.owned.get(key).forEach(function (id) { path.addPath(pathOf(self.byId.get(id))); });
      this.cellPath.set(key, path);
    }
    return path;
  };

  // ---- view and drawing ----
  var frame = 0, drawAll = false, drawTop = false, dirty = [];
  function requestDraw(all) { if (all) drawAll = true; drawTop = true; if (!frame) frame = requestAnimationFrame(draw); }
  function requestRegion(b) { dirty.push(b); requestDraw(false); }
  function imageTransform(ctx) { ctx.setTransform(dpr * view.s, 0, 0, dpr * view.s, dpr * view.x, dpr * view.y); }
  function outlineStyle() { octx.lineWidth = 1.25 / view.s; octx.strokeStyle = '#00e5ff'; octx.lineJoin = 'round'; }
  function visibleBox() { return [-view.x / view.s, -view.y / view.s, (box.clientWidth - view.x) / view.s, (box.clientHeight - view.y) / view.s]; }
  function drawOutlines() {
    octx.setTransform(1, 0, 0, 1, 0, 0);
    octx.clearRect(0, 0, outlines.width, outlines.height);
    imageTransform(octx);
    outlineStyle();
    var v = visibleBox(), r = cellRange([v[0] - ph.maxW, v[1] - ph.maxH, v[2], v[3]]);
    for (var cy = r[1]; cy <= r[3]; cy++) for (var cx = r[0]; cx <= r[2]; cx++) if (ph.owned.has(cy * ROW + cx) && ph.owned.get(cy * ROW + cx).size) octx.stroke(ph.ownedPath(cy * ROW + cx));
  }
  function drawRegion(b) {
    var pad = 3 / view.s, x = b[0] - pad, y = b[1] - pad, w = b[2] - b[0] + 2 * pad, h = b[3] - b[1] + 2 * pad;
    imageTransform(octx);
    octx.save();
    octx.beginPath();
    octx.rect(x, y, w, h);
    octx.clip();
    octx.clearRect(x, y, w, h);
    outlineStyle();
    ph.near([x, y, x + w, y + h]).forEach(function (p) { octx.stroke(pathOf(p)); });
    octx.restore();
  }
  function drawTopLayer() {
    vctx.setTransform(1, 0, 0, 1, 0, 0);
    vctx.clearRect(0, 0, overlay.width, overlay.height);
    if (!ph) return;
    imageTransform(vctx);
    var px = 1 / view.s;
    vctx.lineJoin = 'round';
    vctx.lineWidth = 2.5 * px;
    vctx.strokeStyle = '#ffd400';
    vctx.fillStyle = 'rgba(255, 212, 0, 0.28)';
    sel.forEach(function (id) { var p = ph.byId.get(id); if (p) { vctx.fill(pathOf(p), 'evenodd'); vctx.stroke(pathOf(p)); } });
    var pts = draft.length ? draft.concat(cursor ? [cursor] : []) : line;
    if (pts && pts.length > 1) {
      vctx.strokeStyle = tool === 'erase' ? '#ff4d6d' : tool === 'split' ? '#ff3df2' : '#7CFC00';
      vctx.lineWidth = 2 * px;
      vctx.beginPath();
      vctx.moveTo(pts[0][0], pts[0][1]);
      for (var k = 1; k < pts.length; k++) vctx.lineTo(pts[k][0], pts[k][1]);
      vctx.stroke();
    }
    vctx.fillStyle = vctx.strokeStyle;
    draft.forEach(function (q) { vctx.fillRect(q[0] - 2.5 * px, q[1] - 2.5 * px, 5 * px, 5 * px); });
  }
  function draw() {
    frame = 0;
    if (ph) {
      if (drawAll) drawOutlines(); else dirty.forEach(drawRegion);
      if (drawTop) drawTopLayer();
    }
    drawAll = false;
    drawTop = false;
    dirty = [];
  }
  function resize() {
    dpr = window.devicePixelRatio || 1;
    var w = box.clientWidth, h = box.clientHeight;
    [outlines, overlay].forEach(function (c) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); c.style.width = w + 'px'; c.style.height = h + 'px'; });
  }
  function applyView() {
    img.style.transform = 'translate(' + view.x + 'px,' + view.y + 'px) scale(' + view.s + ')';
    img.classList.toggle('pixelated', view.s >= 2);
    box.dataset.scale = String(view.s);
    box.dataset.x = String(view.x);
    box.dataset.y = String(view.y);
    requestDraw(true);
  }
  function fit() {
    if (!ph) return;
    view.fit = Math.min(box.clientWidth / ph.width, box.clientHeight / ph.height);
    view.s = view.fit;
    view.x = (box.clientWidth - ph.width * view.s) / 2;
    view.y = (box.clientHeight - ph.height * view.s) / 2;
    applyView();
  }
  function zoomAt(f, cx, cy) {
    var s = clamp(view.s * f, Math.min(view.fit, 1) / 4, 64), k = s / view.s;
    view.x = cx - (cx - view.x) * k;
    view.y = cy - (cy - view.y) * k;
    view.s = s;
    applyView();
  }
  function toImage(e) {
    var r = box.getBoundingClientRect();
    return [clamp((e.clientX - r.left - view.x) / view.s, 0, ph.width), clamp((e.clientY - r.top - view.y) / view.s, 0, ph.height)];
  }

  // ---- edits: each is { removed, added } so undo and redo just swap the two ----
  function info() {
    $('particle-count').textContent = ph ? ph.byId.size + ' particles' : '';
    $('selection').textContent = sel.length ? sel.length + ' selected (' + sel.slice(0, 8).join(', ') + (sel.length > 8 ? ', …' : '') + ')' : '';
  }
  function markUpsert(p) { ph.remove.delete(p.id); ph.upsert.set(p.id, p); }
  function markRemove(id) { ph.upsert.delete(id); ph.remove.add(id); }
  function apply(op, back) {
    var out = back ? op.added : op.removed, inn = back ? op.removed : op.added, b = null;
    out.forEach(function (p) { ph.del(p.id); markRemove(p.id); b = unionBox(b, p.box); });
    inn.forEach(function (p) { ph.add(p); markUpsert(p); b = unionBox(b, p.box); });
    if (b) requestRegion(b);
    scheduleSave();
  }
  function commit(label, removeIds, added, select) {
    var removed = removeIds.map(function (id) { return ph.byId.get(id); }).filter(Boolean);
    var op = { label: label, removed: removed, added: added };
    apply(op, false);
    ph.undo.push(op);
    ph.redo.length = 0;
    sel = select || added.map(function (p) { return p.id; });
    hint(label);
    info();
    requestDraw(false);
  }
  function undo() {
    var op = ph && ph.undo.pop();
    if (!op) return hint('nothing to undo');
    apply(op, true);
    ph.redo.push(op);
    sel = op.removed.map(function (p) { return p.id; });
    hint('undone: ' + op.label);
    info();
    requestDraw(false);
  }
  function redo() {
    var op = ph && ph.redo.pop();
    if (!op) return hint('nothing to redo');
    apply(op, false);
    ph.undo.push(op);
    sel = op.added.map(function (p) { return p.id; });
    hint('redone: ' + op.label);
    info();
    requestDraw(false);
  }
  function selected() { return sel.map(function (id) { return ph.byId.get(id); }).filter(Boolean); }
  function deleteSelected() {
    if (!sel.length) return hint('delete: select particles first', true);
    commit('deleted ' + sel.length + ' particle(s)', sel.slice(), [], []);
  }
  function merge() {
    var ps = selected();
    if (ps.length < 2) return hint('merge: select two or more particles (shift+click)', true);
    var geoms = ps.map(function (p) { return toPC(p.polys); }), bridges = [];
    var grownGeoms = geoms.map(grown), grownBoxes = ps.map(function (p) { return [p.box[0] - 1, p.box[1] - 1, p.box[2] + 1, p.box[3] + 1]; });
    for (var i = 0; i < ps.length; i++) for (var j = i + 1; j < ps.length; j++) if (boxesMeet(grownBoxes[i], grownBoxes[j])) bridges.push(call('intersection', [grownGeoms[i], grownGeoms[j]]));
    var polys = fromPC(call('union', geoms.concat(bridges.filter(function (g) { return g.length; }))));
    var id = Math.min.apply(null, ps.map(function (p) { return p.id; }));
    commit('merged ' + ps.length + ' particles into ' + id + (polys.length > 1 ? ' (' + polys.length + ' separate pieces)' : ''), ps.map(function (p) { return p.id; }), [make(id, polys)]);
  }
  // Edges of a piece that lie on the cut line, as intervals of the line parameter t (0..1 = the drawn segment).
  function onLine(poly, a, u, len) {
    var tol = 1e-3, out = [], r = poly[0];
    for (var k = 0; k + 1 < r.length; k++) {
      var p = r[k], q = r[k + 1];
      var dp = (p[0] - a[0]) * u[1] - (p[1] - a[1]) * u[0], dq = (q[0] - a[0]) * u[1] - (q[1] - a[1]) * u[0];
      if (Math.abs(dp) > tol || Math.abs(dq) > tol) continue;
      var tp = ((p[0] - a[0]) * u[0] + (p[1] - a[1]) * u[1]) / len, tq = ((q[0] - a[0]) * u[0] + (q[1] - a[1]) * u[1]) / len;
      out.push([Math.min(tp, tq), Math.max(tp, tq)]);
    }
    return out;
  }
  // Two pieces on either side of the line that meet beyond the drawn segment were not cut by it.
  function meetOutside(ia, ib) {
    for (var i = 0; i < ia.length; i++) {
      for (var j = 0; j < ib.length; j++) {
        var lo = Math.max(ia[i][0], ib[j][0]), hi = Math.min(ia[i][1], ib[j][1]);
        if (hi - lo > 1e-9 && (lo < -1e-9 || hi > 1 + 1e-9)) return true;
      }
    }
    return false;
  }
  function splitAlong(a, b) {
    var dx = b[0] - a[0], dy = b[1] - a[1], len = Math.hypot(dx, dy);
    if (len * view.s < 4) return hint('split: drag a line across the particle', true);
    var target = sel.length === 1 ? ph.byId.get(sel[0]) : ph.at((a[0] + b[0]) / 2, (a[1] + b[1]) / 2);
    if (!target) return hint('split: select one particle, or drag the line so that its middle lies on one', true);
    var u = [dx / len, dy / len], n = [-u[1], u[0]], bb = target.box;
    var D = (bb[2] - bb[0]) + (bb[3] - bb[1]) + Math.hypot(a[0] - bb[0], a[1] - bb[1]) + len + 10;
    var p0 = [a[0] - u[0] * D, a[1] - u[1] * D], p1 = [b[0] + u[0] * D, b[1] + u[1] * D];
    var half = [[p0, p1, [p1[0] + n[0] * D, p1[1] + n[1] * D], [p0[0] + n[0] * D, p0[1] + n[1] * D], p0]];
    var g = toPC(target.polys);
    var pieces = [];
    call('intersection', [g, half]).forEach(function (poly) { pieces.push({ side: 0, polys: [poly], on: onLine(poly, a, u, len) }); });
    call('difference', [g, half]).forEach(function (poly) { pieces.push({ side: 1, polys: [poly], on: onLine(poly, a, u, len) }); });
    var group = pieces.map(function (_, k) { return k; });
    function root(k) { while (group[k] !== k) k = group[k] = group[group[k]]; return k; }
    for (var i = 0; i < pieces.length; i++) for (var j = 0; j < pieces.length; j++) if (pieces[i].side === 0 && pieces[j].side === 1 && meetOutside(pieces[i].on, pieces[j].on)) group[root(i)] = root(j);
    var parts = new Map();
    pieces.forEach(function (p, k) { var r = root(k); if (!parts.has(r)) parts.set(r, []); parts.get(r).push(p.polys); });
    var geoms = [];
    parts.forEach(function (list) { var f = fromPC(list.length === 1 ? list[0] : call('union', list)); if (f.length) geoms.push(f); });
    if (geoms.length < 2) return hint('split: the line must cross particle ' + target.id + ' from edge to edge', true);
    geoms.sort(function (x, y) { return areaOf(y) - areaOf(x); });
    var added = [];
    for (var k = 0; k < geoms.length; k++) {
      var id = k === 0 ? target.id : ph.newId();
      if (!id) return hint('no particle id left (at most ' + MAX_ID + ')', true);
      added.push(make(id, geoms[k]));
    }
    commit('split particle ' + target.id + ' into ' + added.length, [target.id], added);
  }
  function imageRect() { return [[[0, 0], [ph.width, 0], [ph.width, ph.height], [0, ph.height], [0, 0]]]; }
  function cutFrom(targets, shape) {
    var removed = [], added = [];
    targets.forEach(function (p) {
      var rest = fromPC(call('difference', [toPC(p.polys), shape]));
      var area = areaOf(rest);
      if (Math.abs(area - p.area) <= 1e-6 * Math.max(1, p.area)) return;
      removed.push(p.id);
      if (rest.length) added.push(make(p.id, rest));
    });
    return { removed: removed, added: added };
  }
  function closeDraft() {
    var pts = [];
    draft.forEach(function (q) { var last = pts[pts.length - 1]; if (!last || Math.hypot(q[0] - last[0], q[1] - last[1]) * view.s > 2) pts.push(q); });
    draft = [];
    requestDraw(false);
    if (pts.length < 3) return hint('a polygon needs at least 3 corners', true);
    var shape = call('intersection', [[[pts.concat([pts[0]])]], imageRect()]);
    var polys = fromPC(shape);
    if (!polys.length) return hint('the polygon has no area', true);
    var sb = bboxOf(polys);
    if (tool === 'polygon') {
      var id = ph.newId();
      if (!id) return hint('no particle id left (at most ' + MAX_ID + ')', true);
      // A new particle lies on top: the parts of others under it are taken from them.
      var cut = cutFrom(ph.near(sb), shape);
      commit('drew particle ' + id + (cut.removed.length ? ', taken from ' + cut.removed.length + ' other(s)' : ''), cut.removed, cut.added.concat([make(id, polys)]), [id]);
    } else {
      var targets = sel.length ? selected().filter(function (p) { return boxesMeet(p.box, sb); }) : ph.near(sb);
      var er = cutFrom(targets, shape);
      if (!er.removed.length) return hint('erase: the area touches no ' + (sel.length ? 'selected ' : '') + 'particle', true);
      commit('erased from ' + er.removed.length + ' particle(s)', er.removed, er.added);
    }
  }
  function click(pt, add) {
    if (tool === 'polygon' || tool === 'erase') {
      var first = draft[0];
      if (draft.length >= 3 && Math.hypot(pt[0] - first[0], pt[1] - first[1]) * view.s < 8) return closeDraft();
      draft.push(pt);
      requestDraw(false);
      return;
    }
    var p = ph.at(pt[0], pt[1]);
    if (add) {
      if (p) sel = sel.indexOf(p.id) >= 0 ? sel.filter(function (id) { return id !== p.id; }) : sel.concat([p.id]);
    } else sel = p ? [p.id] : [];
    hint(p ? 'particle ' + p.id + ', ' + Math.round(p.area) + ' px²' : '');
    info();
    requestDraw(false);
  }
  var HINTS = {
    select: 'select: click a particle, shift+click to add; drag to pan',
    split: 'split: drag a straight line across a particle',
    polygon: 'polygon: click the corners; Enter, double-click or the first corner closes it',
    erase: 'erase: click the corners of the area to cut away; Enter closes it',
  };
  function setTool(t) {
    tool = t;
    draft = [];
    line = null;
    box.dataset.tool = t;
    document.querySelectorAll('button[data-tool]').forEach(function (b) { b.classList.toggle('active', b.getAttribute('data-tool') === t); });
    hint(HINTS[t]);
    requestDraw(false);
  }

  // ---- saving ----
  function api(method, url, body) {
    var init = { method: method, credentials: 'same-origin', headers: {} };
    if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(url, init).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.ok) return data;
        var e = new Error(data.error || res.status + ' ' + res.statusText);
        e.status = res.status;
        throw e;
      });
    }, function (err) {
      var e = new Error('the review server does not answer (' + err.message + '): is photosieve review still running?');
      e.status = 0;
      throw e;
    });
  }
  function photoUrl(name, what) { return '/api/photos/' + encodeURIComponent(name) + '/' + what; }
  function pending(p) { return !!p && (p.upsert.size > 0 || p.remove.size > 0); }
  function showStatus() {
    var text, bad = false;
    if (conflict) { text = 'not saved: ' + saveError; bad = true; }
    else if (saveError) { text = 'not saved yet: ' + saveError; bad = true; }
    else if (saving) text = 'saving…';
    else if (pending(ph)) text = 'unsaved changes…';
    else text = 'all changes saved';
    statusEl.textContent = text;
    statusEl.className = 'status' + (bad ? ' bad' : '');
  }
  function scheduleSave() {
    showStatus();
    clearTimeout(saveTimer);
    saveTimer = setTimeout(function () { flush().catch(function () {}); }, SAVE_DELAY);
  }
  function flush() {
    clearTimeout(saveTimer);
    if (saving) return saving.then(flush);
    var p = ph;
    if (!pending(p) || conflict) return Promise.resolve();
    var up = p.upsert, rm = p.remove;
    p.upsert = new Map();
    p.remove = new Set();
    var body = { base: p.version, upsert: [], remove: Array.from(rm) };
    up.forEach(function (q) { body.upsert.push({ id: q.id, polygons: q.polys }); });
    saving = api('PUT', photoUrl(p.name, 'particles'), body).then(function (r) {
      p.version = r.version;
      saving = null;
      saveError = null;
      entry(p.name, { saved: true, particles: r.particles });
      showStatus();
      if (pending(p)) return flush();
    }, function (err) {
      saving = null;
      // The changes go back under those made since (which win), to be sent again.
      up.forEach(function (q, id) { if (!p.upsert.has(id) && !p.remove.has(id)) p.upsert.set(id, q); });
      rm.forEach(function (id) { if (!p.upsert.has(id)) p.remove.add(id); });
      saveError = err.message;
      if (err.status === 409) conflict = true;
      else if (!(err.status >= 400 && err.status < 500)) saveTimer = setTimeout(function () { flush().catch(function () {}); }, 3000);
      showStatus();
      throw err;
    });
    showStatus();
    return saving;
  }
  window.addEventListener('beforeunload', function (e) {
    if (saving || pending(ph)) { flush().catch(function () {}); e.preventDefault(); e.returnValue = ''; }
  });

  // ---- photos ----
  function entry(name, changes) {
    photos.forEach(function (p) { if (p.name === name) Object.keys(changes).forEach(function (k) { p[k] = changes[k]; }); });
    renderList();
  }
  function renderList() {
    var ul = $('photos'), reviewed = 0;
    ul.replaceChildren();
    photos.forEach(function (p) {
      if (p.reviewed) reviewed++;
      var li = document.createElement('li');
      var b = document.createElement('button');
      b.type = 'button';
      b.className = (ph && ph.name === p.name ? 'current' : '') + (p.reviewed ? ' reviewed' : '');
      b.disabled = !!p.problem;
      b.title = p.problem || p.width + '×' + p.height + ' px';
      b.dataset.name = p.name;
      var mark = document.createElement('span');
      mark.className = 'mark';
      mark.textContent = p.reviewed ? '\u2713' : '\u25CB';
      var name = document.createElement('span');
      name.className = 'name';
      name.textContent = p.name;
      var meta = document.createElement('span');
      meta.className = 'meta';
      meta.textContent = p.problem ? 'cannot be reviewed' : p.width + '×' + p.height + (p.particles !== null ? ', ' + p.particles + ' particles saved' : '') + (p.reviewed ? ', reviewed' : '');
      b.append(mark, name, meta);
      b.addEventListener('click', function () { openPhoto(p.name); });
      li.appendChild(b);
      ul.appendChild(li);
    });
    $('photo-count').textContent = reviewed + ' of ' + photos.length + ' reviewed';
    var rb = document.querySelector('button[data-action="reviewed"]');
    rb.classList.toggle('on', !!(ph && ph.reviewed));
    rb.firstChild.textContent = ph && ph.reviewed ? 'Reviewed \u2713 ' : 'Mark reviewed ';
  }
  function loadImage(url) {
    return new Promise(function (ok, fail) {
      img.onload = function () { ok(); };
      img.onerror = function () { fail(new Error('the photo could not be loaded')); };
      img.src = url;
    });
  }
  function openPhoto(name) {
    if (ph && ph.name === name) return Promise.resolve();
    return flush().then(function () {
      ph = null;
      sel = [];
      draft = [];
      line = null;
      conflict = false;
      saveError = null;
      box.removeAttribute('data-photo');
      requestDraw(true);
      statusEl.textContent = 'loading ' + name + '…';
      return Promise.all([api('GET', photoUrl(name, 'particles')), loadImage(photoUrl(name, 'image'))]);
    }).then(function (r) {
      ph = new Photo(r[0]);
      history.replaceState(null, '', '#' + encodeURIComponent(name));
      renderList();
      fit();
      info();
      showStatus();
      hint(img.naturalWidth !== ph.width || img.naturalHeight !== ph.height ? 'warning: the photo is ' + img.naturalWidth + '×' + img.naturalHeight + ' px but its instance map ' + ph.width + '×' + ph.height : HINTS[tool], img.naturalWidth !== ph.width);
      box.dataset.photo = name;
    }, function (err) {
      statusEl.textContent = 'cannot open ' + name + ': ' + err.message;
      statusEl.className = 'status bad';
    });
  }
  function toggleReviewed() {
    var p = ph;
    if (!p) return;
    var want = !p.reviewed;
    flush().then(function () { return api('PUT', photoUrl(p.name, 'reviewed'), { reviewed: want }); }).then(function (e) {
      p.reviewed = e.reviewed;
      entry(e.name, e);
      hint(e.reviewed ? p.name + ' marked reviewed' : p.name + ' marked not reviewed');
    }, function (err) { hint('could not mark ' + p.name + ': ' + err.message, true); });
  }

  // ---- input ----
  var drag = null;
  box.addEventListener('pointerdown', function (e) {
    if (!ph) return;
    box.setPointerCapture(e.pointerId);
    var pan = e.button !== 0 || spaceDown || tool !== 'split';
    drag = { id: e.pointerId, x: e.clientX, y: e.clientY, sx: view.x, sy: view.y, moved: false, pan: pan, add: e.shiftKey || e.ctrlKey || e.metaKey, button: e.button };
    if (!pan) line = [toImage(e)];
    e.preventDefault();
  });
  box.addEventListener('pointermove', function (e) {
    if (!ph) return;
    cursor = toImage(e);
    if (!drag || drag.id !== e.pointerId) { if (draft.length) requestDraw(false); return; }
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) > 4) drag.moved = true;
    if (drag.pan && drag.moved) {
      view.x = drag.sx + dx;
      view.y = drag.sy + dy;
      applyView();
    } else if (!drag.pan) {
      line = [line[0], cursor];
      requestDraw(false);
    }
  });
  box.addEventListener('pointerup', function (e) {
    if (!drag || drag.id !== e.pointerId) return;
    var d = drag;
    drag = null;
    if (!d.pan) {
      var a = line[0];
      line = null;
      requestDraw(false);
      splitAlong(a, toImage(e));
    } else if (!d.moved && d.button === 0) click(toImage(e), d.add);
  });
  box.addEventListener('pointercancel', function () { drag = null; line = null; requestDraw(false); });
  box.addEventListener('contextmenu', function (e) { e.preventDefault(); });
  box.addEventListener('dblclick', function () { if (draft.length >= 3) closeDraft(); });
  box.addEventListener('wheel', function (e) {
    e.preventDefault();
    var r = box.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  // ---- fine-tuning on the reviewed photos (a background photosieve process; the page polls its status) ----
  var ftEl = $('fine-tune-status'), ftTimer = 0;
  function showFineTune(s) {
    var b = document.querySelector('button[data-action="fine-tune"]');
    b.disabled = s.state === 'running';
    var last = s.lines.length ? s.lines[s.lines.length - 1] : '';
    if (s.state === 'running') ftEl.textContent = 'fine-tuning on ' + s.photos.length + ' reviewed photo(s): ' + last;
    else if (s.state === 'done') ftEl.textContent = 'fine-tuned model: ' + s.model + ' (segment again with --model ' + s.model + ')';
    else if (s.state === 'failed') ftEl.textContent = 'fine-tune failed: ' + s.error;
    else ftEl.textContent = s.model ? 'fine-tuned model of an earlier session: ' + s.model : '';
    ftEl.className = s.state === 'failed' ? 'bad' : '';
    clearTimeout(ftTimer);
    if (s.state === 'running') ftTimer = setTimeout(pollFineTune, 2000);
  }
  function fineTuneError(prefix) { return function (err) { ftEl.textContent = prefix + err.message; ftEl.className = 'bad'; }; }
  function pollFineTune() { api('GET', '/api/fine-tune').then(showFineTune, fineTuneError('fine-tune status unknown: ')); }
  function startFineTune() {
    // Edits not yet saved would be missing from the training folder.
    flush().then(function () { return api('POST', '/api/fine-tune', {}); }).then(showFineTune, fineTuneError('fine-tune not started: '));
  }

  var ACTIONS = {
    delete: deleteSelected, merge: merge, undo: undo, redo: redo, fit: fit, reviewed: toggleReviewed, 'fine-tune': startFineTune,
  };
  document.querySelectorAll('button[data-tool]').forEach(function (b) { b.addEventListener('click', function () { setTool(b.getAttribute('data-tool')); }); });
  document.querySelectorAll('button[data-action]').forEach(function (b) {
    var name = b.getAttribute('data-action');
    b.addEventListener('click', function () { if (ph || name === 'fine-tune') ACTIONS[name](); });
  });
  document.addEventListener('keydown', function (e) {
    if (!ph) return;
    var k = e.key.toLowerCase(), mod = e.ctrlKey || e.metaKey;
    if (mod && k === 'z') { e.preventDefault(); if (e.shiftKey) redo(); else undo(); return; }
    if (mod && k === 'y') { e.preventDefault(); redo(); return; }
    if (mod || e.altKey) return;
    var done = true;
    switch (k) {
      case ' ': spaceDown = true; break;
      case 'd': case 'delete': deleteSelected(); break;
      case 'backspace': if (draft.length) { draft.pop(); requestDraw(false); } else deleteSelected(); break;
      case 'm': merge(); break;
      case 's': setTool('split'); break;
      case 'p': setTool('polygon'); break;
      case 'e': setTool('erase'); break;
      case 'v': setTool('select'); break;
      case 'f': fit(); break;
      case 'r': toggleReviewed(); break;
      case 'enter': if (draft.length) closeDraft(); break;
      case 'escape':
        if (draft.length || line) { draft = []; line = null; }
        else if (tool !== 'select') setTool('select');
        else { sel = []; info(); hint(''); }
        requestDraw(false);
        break;
      default: done = false;
    }
    if (done) e.preventDefault();
  });
  document.addEventListener('keyup', function (e) { if (e.key === ' ') spaceDown = false; });
  window.addEventListener('resize', function () { var atFit = view.s === view.fit; resize(); if (atFit) fit(); else applyView(); });

  resize();
  setTool('select');
  pollFineTune();
  api('GET', '/api/photos').then(function (r) {
    photos = r.photos;
    renderList();
    var wanted = decodeURIComponent(location.hash.slice(1));
    var usable = photos.filter(function (p) { return !p.problem; });
    var first = usable.filter(function (p) { return p.name === wanted; })[0] || usable.filter(function (p) { return !p.reviewed; })[0] || usable[0];
    if (first) return openPhoto(first.name);
    statusEl.textContent = 'no photo of this run can be reviewed (see the list)';
    statusEl.className = 'status bad';
  }, function (err) {
    statusEl.textContent = 'cannot list the photos: ' + err.message;
    statusEl.className = 'status bad';
  });
})();
`;
