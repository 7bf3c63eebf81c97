// Outlines the way most tools write them: OpenCV findContours on the mask at full resolution, so each ring
// runs through the centres of boundary pixels, in pixel-index coordinates. Used to test --pixel-origin center.
import type { InstanceMap, MultiPolygon, Polygon, Ring } from '../../src/core/index.js';
import { instanceBoxes } from '../../src/annotate/index.js';
import { loadOpenCV, withMats } from '../../src/cv/index.js';

export async function centreContours(map: InstanceMap): Promise<Map<number, MultiPolygon>> {
  const { cv } = await loadOpenCV();
  const out = new Map<number, MultiPolygon>();
  for (const [id, b] of instanceBoxes(map)) {
    const w = b.maxX - b.minX + 3;
    const h = b.maxY - b.minY + 3;
    const buf = new Uint8Array(w * h);
    for (let i = b.minY; i <= b.maxY; i++) {
      for (let j = b.minX; j <= b.maxX; j++) if (map.data[i * map.width + j] === id) buf[(i - b.minY + 1) * w + (j - b.minX + 1)] = 255;
    }
    withMats(cv, (s) => {
      const contours = s.track(new cv.MatVector());
      const hier = s.track(new cv.Mat());
      cv.findContours(s.track(cv.matFromArray(h, w, cv.CV_8UC1, buf)), contours, hier, cv.RETR_CCOMP, cv.CHAIN_APPROX_SIMPLE);
      const rings: Ring[] = [];
      for (let k = 0; k < contours.size(); k++) {
        const c = s.track(contours.get(k));
        const ring: Ring = [];
        for (let q = 0; q < c.data32S.length; q += 2) ring.push([c.data32S[q]! - 1 + b.minX, c.data32S[q + 1]! - 1 + b.minY]);
        rings.push(ring);
      }
      const polys = new Map<number, Polygon>();
      rings.forEach((r, k) => {
        if (hier.data32S[4 * k + 3] === -1) polys.set(k, [r]);
      });
      rings.forEach((r, k) => {
        const parent = hier.data32S[4 * k + 3]!;
        if (parent !== -1) polys.get(parent)?.push(r);
      });
      out.set(id, [...polys.values()]);
    });
  }
  return out;
}

/** A LabelMe document with one polygon per outer ring (holes as their own shapes are not LabelMe's way; skip them). */
export function labelmeFromCentreContours(contours: Map<number, MultiPolygon>, imagePath: string, width: number, height: number): string {
  const shapes = [...contours].flatMap(([id, mp]) =>
    mp.map((poly) => ({ label: 'stone', points: poly[0], group_id: mp.length > 1 ? id : null, shape_type: 'polygon', flags: {} })),
  );
  return JSON.stringify({ version: '5.5.0', flags: {}, shapes, imagePath, imageData: null, imageWidth: width, imageHeight: height });
}
