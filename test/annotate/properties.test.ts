// Property tests (fast-check): whatever a label file holds, the parsers return or throw the project's own error,
// never anything else; whatever a polygon's points are, validation never throws and what it keeps is valid
// geometry inside the image. A fixed seed, so a failure reproduces; PHOTOSIEVE_FUZZ_RUNS=N and
// PHOTOSIEVE_FUZZ_SEED=S explore further.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnnotateReport, RawShape } from '../../src/annotate/index.js';
import { canonicalize, clipRingToBox, runAnnotate, sanitizeNonFiniteTokens, validateShape } from '../../src/annotate/index.js';
import { parseCoco } from '../../src/annotate/formats/coco.js';
import { parseCvat } from '../../src/annotate/formats/cvat.js';
import { parseLabelme } from '../../src/annotate/formats/labelme.js';
import { PhotosieveError, multiPolygonArea } from '../../src/core/index.js';
import { tempDir } from '../helpers/tmp.js';

const RUNS = Number(process.env.PHOTOSIEVE_FUZZ_RUNS ?? 200);
const SEED = Number(process.env.PHOTOSIEVE_FUZZ_SEED ?? 15);
const W = 12;
const H = 9;

/** Runs fn; an exception other than PhotosieveError fails the property. */
function onlyOurErrors(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (err instanceof PhotosieveError) return true;
    throw err;
  }
}

/** Coordinates as label files have them: mostly near the image, some far, NaN, infinite, null or not numbers. */
const coordinate = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -4, max: W + 4 }) },
  { weight: 6, arbitrary: fc.double({ min: -3, max: W + 3, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(1e308, -1e308, 1e20, -7e15, Number.MAX_VALUE, Number.MIN_VALUE, -0) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, null) },
);
const junk = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.dictionary(fc.string(), fc.integer()), fc.array(fc.integer()));
const point = fc.oneof({ weight: 10, arbitrary: fc.tuple(coordinate, coordinate) }, { weight: 1, arbitrary: fc.array(fc.oneof(coordinate, junk), { maxLength: 4 }) });
const ring = fc.array(point, { maxLength: 12 });

describe('label parsers: the project\'s errors or a result, nothing else', () => {
  const shapeType = fc.oneof(fc.constantFrom('polygon', 'rectangle', 'circle', 'point', 'line', 'linestrip', null, undefined), fc.string());
  const labelmeDoc = fc.record(
    {
      shapes: fc.oneof(fc.array(fc.record({ label: fc.oneof(fc.string(), junk), points: fc.oneof(ring, junk), shape_type: shapeType, group_id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)) }, { requiredKeys: [] }), { maxLength: 5 }), junk),
      imagePath: fc.oneof(fc.string(), fc.constantFrom('../../etc/passwd', '/abs/x.png', 'C:\\x.png', 'a.png'), junk),
      imageWidth: fc.oneof(fc.integer({ min: -5, max: 1e9 }), fc.double(), junk),
      imageHeight: fc.oneof(fc.integer({ min: -5, max: 1e9 }), fc.double(), junk),
    },
    { requiredKeys: [] },
  );
  it('LabelMe', () => {
    fc.assert(fc.property(fc.oneof(labelmeDoc, fc.jsonValue()), (doc) => onlyOurErrors(() => parseLabelme(doc, 'f.json'))), { seed: SEED, numRuns: RUNS });
  });

  const flat = fc.array(coordinate, { maxLength: 14 });
  const rle = fc.record({ counts: fc.oneof(fc.array(fc.integer({ min: -3, max: 200 }), { maxLength: 12 }), fc.string({ maxLength: 12 }), junk), size: fc.oneof(fc.tuple(fc.integer({ min: -2, max: 16 }), fc.integer({ min: -2, max: 16 })), fc.tuple(fc.constant(1e6), fc.constant(1e6)), junk) }, { requiredKeys: [] });
  const id = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom('1', 'x'), junk);
  const cocoDoc = fc.record(
    {
      images: fc.oneof(fc.array(fc.record({ id, file_name: fc.oneof(fc.string(), junk), width: fc.oneof(fc.integer({ min: -2, max: 20 }), fc.constant(1e6), junk), height: fc.oneof(fc.integer({ min: -2, max: 20 }), junk) }, { requiredKeys: [] }), { maxLength: 4 }), junk),
      annotations: fc.oneof(fc.array(fc.record({ id, image_id: id, category_id: id, segmentation: fc.oneof(fc.array(flat, { maxLength: 3 }), rle, junk), iscrowd: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.boolean(), junk) }, { requiredKeys: [] }), { maxLength: 6 }), junk),
      categories: fc.oneof(fc.array(fc.record({ id, name: fc.oneof(fc.string(), junk) }, { requiredKeys: [] }), { maxLength: 3 }), junk),
    },
    { requiredKeys: [] },
  );
  it('COCO', () => {
    fc.assert(fc.property(fc.oneof(cocoDoc, fc.jsonValue()), (doc) => onlyOurErrors(() => parseCoco(doc, 'f.json'))), { seed: SEED, numRuns: RUNS });
  });

  const attr = fc.oneof(fc.integer({ min: -3, max: 30 }).map(String), fc.double().map(String), fc.constantFrom('', 'abc', '1e308', 'NaN', '1,2', '0x10', '  4 '));
  const pointsAttr = fc.array(fc.tuple(attr, attr), { maxLength: 8 }).map((ps) => ps.map(([x, y]) => `${x},${y}`).join(';'));
  const element = fc.oneof(
    fc.record({ tag: fc.constant('polygon'), attrs: fc.record({ label: fc.string({ maxLength: 5 }), points: pointsAttr, z_order: attr, group_id: attr, occluded: attr }, { requiredKeys: [] }) }),
    fc.record({ tag: fc.constant('box'), attrs: fc.record({ label: fc.constant('s'), xtl: attr, ytl: attr, xbr: attr, ybr: attr, rotation: attr }, { requiredKeys: [] }) }),
    fc.record({ tag: fc.constant('ellipse'), attrs: fc.record({ label: fc.constant('s'), cx: attr, cy: attr, rx: attr, ry: attr, rotation: attr }, { requiredKeys: [] }) }),
    fc.record({ tag: fc.constant('mask'), attrs: fc.record({ label: fc.constant('s'), rle: fc.array(attr, { maxLength: 6 }).map((a) => a.join(',')), left: attr, top: attr, width: attr, height: attr }, { requiredKeys: [] }) }),
    fc.record({ tag: fc.constantFrom('points', 'polyline', 'tag', 'skeleton', 'track'), attrs: fc.record({ label: fc.constant('s'), points: pointsAttr }, { requiredKeys: [] }) }),
  );
  const escape = (v: string): string => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const render = (tag: string, attrs: Record<string, string>, inner = ''): string => `<${tag} ${Object.entries(attrs).map(([k, v]) => `${k}="${escape(v)}"`).join(' ')}>${inner}</${tag}>`;
  const cvatDoc = fc
    .array(fc.record({ attrs: fc.record({ id: attr, name: fc.string({ maxLength: 6 }), width: attr, height: attr }, { requiredKeys: [] }), elements: fc.array(element, { maxLength: 4 }) }), { maxLength: 3 })
    .map((images) => `<?xml version="1.0"?><annotations><version>1.1</version>${images.map((im) => render('image', im.attrs, im.elements.map((e) => render(e.tag, e.attrs as Record<string, string>)).join(''))).join('')}</annotations>`);
  it('CVAT (structured XML, and the same cut anywhere)', () => {
    fc.assert(fc.property(cvatDoc, fc.nat(), (xml, cut) => onlyOurErrors(() => parseCvat(xml, 'f.xml')) && onlyOurErrors(() => parseCvat(xml.slice(0, cut % (xml.length + 1)), 'f.xml'))), { seed: SEED, numRuns: RUNS });
  });

  it('JSON text with NaN/Infinity tokens anywhere', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom('NaN', '-Infinity', 'Infinity', '"NaN"', '[', ']', '{', '}', ',', ':', '"a"', '1', '-', '\\', '"'), fc.string({ maxLength: 3 })), { maxLength: 20 }), (parts) => {
        const text = parts.join('');
        const out = sanitizeNonFiniteTokens(text);
        // Only bare tokens change, and they become null: nothing else is touched.
        return out.replace(/null/g, '').length <= text.length;
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('a whole run on random label files', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
  });
  it('never throws, always writes annotate-report.json, and accounts for every image', async () => {
    let k = 0;
    const size = fc.oneof(fc.integer({ min: 1, max: 24 }), fc.constantFrom(30000, 1e6, 0, -3, 2.5));
    const doc = fc.record({
      shapes: fc.array(fc.record({ label: fc.constantFrom('stone', 'sand'), points: ring, shape_type: fc.constantFrom('polygon', 'rectangle', 'circle', 'point') }), { maxLength: 4 }),
      imagePath: fc.constantFrom('a.png', '../../outside.png', '/etc/hostname', 'images/', '..', ''),
      imageWidth: size,
      imageHeight: size,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(doc, { minLength: 1, maxLength: 3 }), async (docs) => {
        k += 1;
        const files = await Promise.all(docs.map((d, j) => tmp.write(`run${k}/l${j}.json`, JSON.stringify(d))));
        const out = join(tmp.dir, `run${k}`, 'out');
        const report = await runAnnotate({ labels: files, out });
        const written = JSON.parse(await readFile(join(out, 'annotate-report.json'), 'utf8')) as AnnotateReport;
        expect(written.totals).toEqual(report.totals);
        const parsed = report.inputs.reduce((a, i) => a + i.images, 0);
        expect(report.totals.images + report.totals.skippedImages).toBe(parsed);
      }),
      { seed: SEED, numRuns: Math.max(10, Math.round(RUNS / 5)) },
    );
  });
});

describe('polygon repair', () => {
  const shapeOf = (rings: unknown[][]): RawShape => ({ index: 0, label: 's', rings: rings as (number | null)[][][], z: 0, occluded: false, crowd: false });
  const far = (rings: unknown[][]): boolean =>
    rings.some((r) => r.some((p) => Array.isArray(p) && p.length >= 2 && [p[0], p[1]].every((v) => typeof v === 'number' && Number.isFinite(v)) && [p[0] as number, p[1] as number].some((v) => v < -(W + 2) || v > 2 * W + 2)));

  it('never throws; what it keeps is finite, inside the image, of positive area and simple; far points always reported', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(ring, { minLength: 1, maxLength: 3 }), fc.constantFrom('corner', 'center'), fc.boolean(), async (rings, pixelOrigin, strict) => {
        const v = await validateShape(shapeOf(rings), { file: 'f.json', image: 'i.png', width: W, height: H, strict, pixelOrigin });
        if (strict) expect(v.issues.filter((i) => i.severity === 'repair')).toEqual([]);
        // A point far outside that is kept is always counted as a repair (1e308 used to slip through).
        if (far(rings) && v.geometry !== null) expect(v.issues.some((i) => i.code === 'outside_image' && i.severity === 'repair'), JSON.stringify(v.issues)).toBe(true);
        if (v.geometry === null) {
          expect(v.issues.some((i) => i.severity === 'error')).toBe(true);
          return;
        }
        expect(v.issues.filter((i) => i.severity === 'error')).toEqual([]);
        for (const polygon of v.geometry) {
          for (const r of polygon) {
            expect(r.length).toBeGreaterThanOrEqual(3);
            for (const [x, y] of r) {
              expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
              expect(x >= -1e-9 && x <= W + 1e-9 && y >= -1e-9 && y <= H + 1e-9, `${x},${y}`).toBe(true);
            }
          }
        }
        const area = multiPolygonArea(v.geometry);
        expect(area).toBeGreaterThan(0);
        expect(area).toBeLessThanOrEqual(W * H + 1e-9);
        // Simple: the union of its parts covers exactly its area (no part overlaps another or itself).
        expect(Math.abs(multiPolygonArea(canonicalize(v.geometry)) - area)).toBeLessThanOrEqual(1e-6 * Math.max(1, area));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the window cut keeps finite points on or inside the box, whatever the magnitudes', () => {
    const big = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -20, max: 20 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(big, big), { minLength: 3, maxLength: 10 }), (pts) => {
        const out = clipRingToBox(pts, -10, -10, 20, 20);
        return out.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && x >= -10 && x <= 20 && y >= -10 && y <= 20);
      }),
      { seed: SEED, numRuns: RUNS * 5 },
    );
  });
});
