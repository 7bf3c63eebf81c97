// Shape validation and repair: every finding is reported with where it was found and what was done; under
// `strict` a repair is an error and the shape is skipped instead.
import type { MultiPolygon, Point, Ring } from '../core/index.js';
import { PhotosieveError, errorLine, multiPolygonArea, multiPolygonBBox, ringSignedArea } from '../core/index.js';
import { canonicalize, clipRingToBox, dedupeRing, intersect, rectPolygon } from './clip.js';
import type { RawMask, RawShape } from './formats/index.js';
import type { AnnotationIssue, IssueCode } from './report.js';
import { forEachSpan } from './rasterize.js';
import { traceInstances } from './trace.js';
import type { PixelOrigin } from './writeOutputs.js';

export interface ShapeContext {
  file: string;
  image: string;
  width: number;
  height: number;
  strict: boolean;
  /** @default 'corner' */
  pixelOrigin?: PixelOrigin;
}

export interface ValidatedShape {
  geometry: MultiPolygon | null;
  issues: AnnotationIssue[];
}

const AREA_EPS = 1e-9;

export function describeShape(shape: RawShape): string {
  return `#${shape.index}${shape.id === undefined ? '' : ` id=${shape.id}`}`;
}

/**
 * Outlines through boundary-pixel centres (already shifted to corner coordinates) → the pixels they mean: every
 * pixel whose centre is inside or on an outline, each ring on its own (COCO's union of parts). Null when no pixel
 * of the image is covered.
 */
function centreOutlineMask(rings: Ring[], width: number, height: number): RawMask | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const ring of rings) {
    for (const [x, y] of ring) {
      minX = Math.min(minX, x);
      minY = Math.min(minY, y);
      maxX = Math.max(maxX, x);
      maxY = Math.max(maxY, y);
    }
  }
  const left = Math.max(0, Math.floor(minX) - 1);
  const top = Math.max(0, Math.floor(minY) - 1);
  const w = Math.min(width, Math.ceil(maxX) + 1) - left;
  const h = Math.min(height, Math.ceil(maxY) + 1) - top;
  if (w <= 0 || h <= 0) return null;
  const bits = new Uint8Array(w * h);
  for (const ring of rings) {
    const local = ring.map(([x, y]): Point => [x - left, y - top]);
    forEachSpan([local], w, h, (row, c0, c1) => bits.fill(1, row * w + c0, row * w + c1), { inclusive: true });
  }
  return bits.includes(1) ? { left, top, width: w, height: h, bits } : null;
}

/** Traces a format's binary mask to polygons in image coordinates. */
async function maskGeometry(mask: RawMask): Promise<MultiPolygon> {
  const data = new Int32Array(mask.width * mask.height);
  data.set(mask.bits);
  const traced = await traceInstances({ width: mask.width, height: mask.height, data }, [1]);
  const mp = traced.get(1) ?? [];
  return mp.map((poly) => poly.map((ring) => ring.map(([x, y]): Point => [x + mask.left, y + mask.top])));
}

export async function validateShape(shape: RawShape, ctx: ShapeContext): Promise<ValidatedShape> {
  const issues: AnnotationIssue[] = [];
  let failed = false;
  const report = (severity: 'error' | 'repair' | 'warning', code: IssueCode, message: string, action: string): void => {
    const sev = severity === 'repair' && ctx.strict ? 'error' : severity;
    if (sev === 'error') failed = true;
    issues.push({
      severity: sev,
      code,
      file: ctx.file,
      image: ctx.image,
      annotation: describeShape(shape),
      label: shape.label,
      message,
      action: sev === 'error' && severity === 'repair' ? `not repaired (--strict): shape skipped; would have ${action}` : action,
    });
  };

  /** The ring's points with finite coordinates; dropped ones are reported as a repair. */
  const finitePoints = (raw: (number | null)[][]): Point[] => {
    const finite = raw.filter((p): p is [number, number] => p.length >= 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]));
    if (finite.length < raw.length) {
      report('repair', 'non_finite', `${raw.length - finite.length} point(s) with NaN, infinite or missing coordinates`, 'dropped those points');
    }
    return finite.map(([x, y]): Point => [x, y]);
  };

  // Coordinates far outside the image (1e308 is finite) are cut to a window around it first, so the areas,
  // scanlines and polygon-clipping below only ever see numbers of the image's magnitude. The window holds the image
  // with a margin, so every pixel of the image keeps its inside/outside; the cut is counted as a repair below.
  const margin = Math.max(ctx.width, ctx.height) + 2;
  const win = { minX: -margin, minY: -margin, maxX: ctx.width + margin, maxY: ctx.height + margin };
  let farthest = 0;
  const toWindow = (ring: Ring): Ring => {
    let far = false;
    for (const [x, y] of ring) {
      if (x < win.minX || x > win.maxX || y < win.minY || y > win.maxY) {
        far = true;
        farthest = Math.max(farthest, Math.abs(x), Math.abs(y));
      }
    }
    return far ? clipRingToBox(ring, win.minX, win.minY, win.maxX, win.maxY) : ring;
  };
  const farMessage = (): string => `the outline reaches far outside the ${ctx.width}×${ctx.height} image (a coordinate of ${farthest.toPrecision(3)})`;

  const build = async (): Promise<ValidatedShape> => {
    let geometry: MultiPolygon;
    if (!shape.mask && ctx.pixelOrigin === 'center') {
      const rings: Ring[] = [];
      for (const raw of shape.rings) {
        const finite = finitePoints(raw);
        if (finite.length === 0) continue;
        const inWindow = toWindow(finite);
        if (inWindow.length > 0) rings.push(inWindow);
      }
      if (failed) return { geometry: null, issues };
      if (rings.length === 0) {
        if (farthest > 0) report('error', 'outside_image', `the shape lies entirely outside the ${ctx.width}×${ctx.height} image`, 'shape skipped');
        else report('error', 'too_few_points', 'the shape has no point', 'shape skipped');
        return { geometry: null, issues };
      }
      const outside = farthest > 0 || rings.some((r) => r.some(([x, y]) => x < 0 || y < 0 || x > ctx.width || y > ctx.height));
      if (outside) {
        report('repair', 'outside_image', farthest > 0 ? farMessage() : `the outline reaches outside the ${ctx.width}×${ctx.height} image`, 'clipped to the image');
        if (failed) return { geometry: null, issues };
      }
      const mask = centreOutlineMask(rings, ctx.width, ctx.height);
      if (!mask) {
        report('error', 'outside_image', `the shape lies entirely outside the ${ctx.width}×${ctx.height} image`, 'shape skipped');
        return { geometry: null, issues };
      }
      geometry = await maskGeometry(mask);
    } else if (shape.mask) {
      geometry = await maskGeometry(shape.mask);
      if (geometry.length === 0) {
        report('error', 'zero_area', 'the mask is empty', 'shape skipped');
        return { geometry: null, issues };
      }
    } else {
      const rings: Ring[] = [];
      let cutAway = 0;
      for (const raw of shape.rings) {
        const finite = finitePoints(raw);
        const ring = dedupeRing(finite);
        if (ring.length < 3) {
          report('error', 'too_few_points', `a polygon needs at least 3 distinct points, this one has ${ring.length}`, 'shape skipped');
          continue;
        }
        const inWindow = toWindow(ring);
        if (inWindow.length < 3) {
          cutAway += 1;
          continue;
        }
        rings.push(inWindow);
      }
      if (failed || rings.length === 0) {
        if (!failed && cutAway > 0) report('error', 'outside_image', `the shape lies entirely outside the ${ctx.width}×${ctx.height} image`, 'shape skipped');
        else if (!failed) report('error', 'too_few_points', 'the shape has no polygon', 'shape skipped');
        return { geometry: null, issues };
      }
      // A ring whose shoelace area differs from the area it covers crosses itself (a bow-tie counts its loops with
      // opposite signs); polygon-clipping's union turns it into simple polygons.
      const parts: MultiPolygon = [];
      for (const ring of rings) {
        const simple = canonicalize([[ring]]);
        const shoelace = Math.abs(ringSignedArea(ring));
        const covered = multiPolygonArea(simple);
        if (covered <= AREA_EPS) {
          report('error', 'zero_area', 'the polygon has zero area (its points lie on a line)', 'shape skipped');
          continue;
        }
        if (Math.abs(covered - shoelace) > 1e-6 * Math.max(1, covered)) {
          report('repair', 'self_intersection', 'the polygon crosses itself', 'repaired into simple polygons (polygon-clipping union)');
        }
        parts.push(...simple);
      }
      if (failed) return { geometry: null, issues };
      geometry = rings.length === 1 ? parts : canonicalize(parts);
    }

    const box = multiPolygonBBox(geometry);
    if (box.minX < 0 || box.minY < 0 || box.maxX > ctx.width || box.maxY > ctx.height) {
      const before = multiPolygonArea(geometry);
      const clipped = intersect(geometry, rectPolygon(0, 0, ctx.width, ctx.height));
      const after = multiPolygonArea(clipped);
      if (after <= AREA_EPS) {
        report('error', 'outside_image', `the shape lies entirely outside the ${ctx.width}×${ctx.height} image`, 'shape skipped');
        return { geometry: null, issues };
      }
      if (farthest === 0 && after < before - 1e-6) {
        const pct = (100 * (before - after)) / before;
        report('repair', 'outside_image', `${pct.toFixed(1)} % of the shape lies outside the ${ctx.width}×${ctx.height} image`, 'clipped to the image');
        if (failed) return { geometry: null, issues };
      }
      geometry = clipped;
    }
    if (farthest > 0 && ctx.pixelOrigin !== 'center') {
      // Counted whatever the areas say (a spike out to 1e308 has none): the window cut changed the outline.
      report('repair', 'outside_image', farMessage(), 'clipped to the image');
      if (failed) return { geometry: null, issues };
    }
    return { geometry, issues };
  };
  try {
    return await build();
  } catch (err) {
    // polygon-clipping gives up on some degenerate input ("Unable to complete output ring…"): that shape is
    // reported and skipped, the others go on.
    if (err instanceof PhotosieveError) throw err;
    report('error', 'unrepairable', `the polygon cannot be made valid (polygon-clipping: ${errorLine(err).split('\n')[0]})`, 'shape skipped; redraw it');
    return { geometry: null, issues };
  }
}
