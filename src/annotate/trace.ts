// Instance map → polygons with OpenCV.js contours, exact under the pixel-centre rule.
//
// Contours of a binary mask run through the centres of its boundary pixels, so rasterizing them again by pixel
// centre would drop about half of the boundary pixels. We trace each particle on a 2× nearest-neighbour upsampling
// instead: sub-pixel centres lie a quarter pixel inside the particle's outer edges, so the traced outline passes
// between the particle's pixel centres and its neighbours', and a thin (1 px) part still has area.
import type { InstanceMap, MultiPolygon, Point, Polygon, Ring } from '../core/index.js';
import type { CvMat, OpenCV } from '../cv/index.js';
import { loadOpenCV, withMats } from '../cv/index.js';

interface Box {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** Bounding boxes of every id present in the map. */
export function instanceBoxes(map: InstanceMap): Map<number, Box> {
  const boxes = new Map<number, Box>();
  const { width, height, data } = map;
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const id = data[i * width + j]!;
      if (id === 0) continue;
      const b = boxes.get(id);
      if (!b) boxes.set(id, { minX: j, minY: i, maxX: j, maxY: i });
      else {
        if (j < b.minX) b.minX = j;
        if (j > b.maxX) b.maxX = j;
        if (i < b.minY) b.minY = i;
        if (i > b.maxY) b.maxY = i;
      }
    }
  }
  return boxes;
}

function contourPoints(contour: CvMat, x0: number, y0: number): Ring {
  const xy = contour.data32S;
  const ring: Ring = [];
  for (let k = 0; k + 1 < xy.length; k += 2) {
    // Sub-pixel (c, r) of the padded 2× crop has its centre at original x = x0 + (c - 2 + 0.5) / 2.
    const p: Point = [x0 + (xy[k]! - 1.5) / 2, y0 + (xy[k + 1]! - 1.5) / 2];
    ring.push(p);
  }
  return ring;
}

function traceOne(cv: OpenCV, map: InstanceMap, id: number, box: Box): MultiPolygon {
  const w = box.maxX - box.minX + 1;
  const h = box.maxY - box.minY + 1;
  // 2× upsampled crop with a 2-sub-pixel empty border (findContours ignores the outermost row and column).
  const W = 2 * w + 4;
  const H = 2 * h + 4;
  const buf = new Uint8Array(W * H);
  for (let i = 0; i < h; i++) {
    const src = (box.minY + i) * map.width + box.minX;
    for (let j = 0; j < w; j++) {
      if (map.data[src + j] !== id) continue;
      const o = (2 + 2 * i) * W + 2 + 2 * j;
      buf[o] = 255;
      buf[o + 1] = 255;
      buf[o + W] = 255;
      buf[o + W + 1] = 255;
    }
  }
  return withMats(cv, (scope) => {
    const mat = scope.track(cv.matFromArray(H, W, cv.CV_8UC1, buf));
    const contours = scope.track(new cv.MatVector());
    const hierarchy = scope.track(new cv.Mat());
    cv.findContours(mat, contours, hierarchy, cv.RETR_CCOMP, cv.CHAIN_APPROX_SIMPLE);
    const n = contours.size();
    // RETR_CCOMP: two levels; hierarchy row k = [next, prev, firstChild, parent]; parent -1 = outer boundary.
    const h32 = hierarchy.data32S;
    const polygons = new Map<number, Polygon>();
    const rings: Ring[] = [];
    for (let k = 0; k < n; k++) {
      const c = contours.get(k);
      try {
        rings.push(contourPoints(c, box.minX, box.minY));
      } finally {
        c.delete();
      }
    }
    for (let k = 0; k < n; k++) if (h32[4 * k + 3] === -1) polygons.set(k, [rings[k]!]);
    for (let k = 0; k < n; k++) {
      const parent = h32[4 * k + 3]!;
      if (parent !== -1) polygons.get(parent)?.push(rings[k]!);
    }
    return [...polygons.values()];
  });
}

/** Traces every instance (or those in `ids`) to its polygons: outer rings with holes, several parts if split. */
export async function traceInstances(map: InstanceMap, ids?: readonly number[]): Promise<Map<number, MultiPolygon>> {
  const { cv } = await loadOpenCV();
  const boxes = instanceBoxes(map);
  const out = new Map<number, MultiPolygon>();
  const wanted = ids ?? [...boxes.keys()].sort((a, b) => a - b);
  for (const id of wanted) {
    const box = boxes.get(id);
    if (box) out.set(id, traceOne(cv, map, id, box));
  }
  return out;
}
