// CVAT for images XML 1.1: polygon, box (with rotation), ellipse and mask elements become particles; z_order
// decides what lies on top (document order breaks ties); `occluded` is counted; group_id merges parts.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { DEFAULT_MAX_PIXELS, PhotosieveError, ellipseRing } from '../../core/index.js';
import type { AnnotationIssue } from '../report.js';
import type { ParseLimits, RawImageLabels, RawMask, RawShape } from './types.js';
import { runsToBits } from './rle.js';

/** With preserveOrder, every element is `{ [tag]: children[], ':@'?: attributes }`. */
type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

export function isCvat(text: string): boolean {
  return /<annotations[\s>]/.test(text.slice(0, 4096));
}

function tagOf(node: OrderedNode): string {
  return Object.keys(node).find((k) => k !== ':@') ?? '';
}

function children(node: OrderedNode): OrderedNode[] {
  const c = node[tagOf(node)];
  return Array.isArray(c) ? (c as OrderedNode[]) : [];
}

function num(attrs: Record<string, string>, name: string): number {
  const v = attrs[name];
  return v === undefined || v.trim() === '' ? NaN : Number(v);
}

function parsePoints(text: string | undefined): (number | null)[][] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(';').map((pair) => {
    const [x, y] = pair.split(',').map((s) => Number(s));
    return [Number.isFinite(x) ? x! : null, Number.isFinite(y) ? y! : null];
  });
}

function rotatedBox(x0: number, y0: number, x1: number, y1: number, degrees: number): (number | null)[][] {
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ].map(([x, y]) => {
    const dx = x! - cx;
    const dy = y! - cy;
    return [cx + dx * cos - dy * sin, cy + dx * sin + dy * cos];
  });
}

export function parseCvat(text: string, file: string, limits: ParseLimits = { maxPixels: DEFAULT_MAX_PIXELS }): { images: RawImageLabels[]; issues: AnnotationIssue[] } {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new PhotosieveError('E_LABELS', `not valid XML (line ${valid.err.line}: ${valid.err.msg}).`, {
      file,
      fix: 'check that the file is complete; re-export it from CVAT as "CVAT for images 1.1"',
    });
  }
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, parseAttributeValue: false });
  let doc: OrderedNode[];
  try {
    doc = parser.parse(text) as OrderedNode[];
  } catch (cause) {
    // fast-xml-parser refuses external entities (XXE) and entity bombs: said as such, with the file.
    throw new PhotosieveError('E_LABELS', `the XML cannot be read (${(cause as Error).message}).`, {
      file,
      fix: 'export the file again from CVAT as "CVAT for images 1.1" (a DOCTYPE with entities is not read)',
      cause,
    });
  }
  const root = doc.find((n) => tagOf(n) === 'annotations');
  if (!root) {
    throw new PhotosieveError('E_LABELS', 'no <annotations> root element: not a CVAT for images file.', {
      file,
      fix: 'export from CVAT as "CVAT for images 1.1" (the video format with <track> is not read)',
    });
  }
  const issues: AnnotationIssue[] = [];
  const images: RawImageLabels[] = [];
  const seenIds = new Set<string>();
  const skipped = new Map<string, number>();
  for (const node of children(root)) {
    const tag = tagOf(node);
    if (tag === 'track') skipped.set('track', (skipped.get('track') ?? 0) + 1);
    if (tag !== 'image') continue;
    const a = node[':@'] ?? {};
    const name = a.name ?? '';
    const imageId = a.id ?? name;
    if (seenIds.has(imageId)) {
      issues.push({
        severity: 'error',
        code: 'duplicate_id',
        file,
        image: name,
        message: `image id ${imageId} is used twice`,
        action: 'skipped the second <image>; give every image a unique id',
      });
      continue;
    }
    seenIds.add(imageId);
    const width = num(a, 'width');
    const height = num(a, 'height');
    // A size that is given must be one: "abc", -5 or 1.5 is refused, not read as "no size".
    const badSize = (['width', 'height'] as const).filter((k) => a[k] !== undefined && a[k].trim() !== '' && !(Number.isSafeInteger(num(a, k)) && num(a, k) > 0));
    if (badSize.length > 0) {
      issues.push({
        severity: 'error',
        code: 'malformed_file',
        file,
        image: name,
        message: `<image> ${badSize.map((k) => `${k}="${a[k]}"`).join(' ')} is not a positive whole number of pixels`,
        action: 'image skipped; export the file again from CVAT',
      });
      continue;
    }
    const shapes: RawShape[] = [];
    children(node).forEach((el, index) => {
      const t = tagOf(el);
      const at = el[':@'] ?? {};
      const label = at.label ?? '';
      let rings: (number | null)[][][] = [];
      let mask: RawMask | undefined;
      switch (t) {
        case 'polygon':
          rings = [parsePoints(at.points)];
          break;
        case 'box':
          rings = [rotatedBox(num(at, 'xtl'), num(at, 'ytl'), num(at, 'xbr'), num(at, 'ybr'), num(at, 'rotation') || 0)];
          break;
        case 'ellipse': {
          const cx = num(at, 'cx');
          const cy = num(at, 'cy');
          const rx = num(at, 'rx');
          const ry = num(at, 'ry');
          const rot = ((num(at, 'rotation') || 0) * Math.PI) / 180;
          rings = [[cx, cy, rx, ry].every(Number.isFinite) ? ellipseRing(cx, cy, rx, ry, rot) : [[cx, cy]]];
          break;
        }
        case 'mask': {
          const left = num(at, 'left');
          const top = num(at, 'top');
          const w = num(at, 'width');
          const h = num(at, 'height');
          try {
            const counts = (at.rle ?? '').split(',').map((s) => Number(s.trim()));
            if (![left, top, w, h].every(Number.isInteger) || counts.some((c) => !Number.isInteger(c))) {
              throw new Error('rle, left, top, width and height must be integers');
            }
            if (w <= 0 || h <= 0 || w * h > limits.maxPixels) {
              throw new Error(`a ${w}×${h} mask must have a positive size of at most ${limits.maxPixels} px (--max-pixels)`);
            }
            mask = { left, top, width: w, height: h, bits: runsToBits(counts, w, h, false) };
          } catch (cause) {
            issues.push({
              severity: 'error',
              code: 'malformed_file',
              file,
              image: name,
              annotation: `#${index}`,
              label,
              message: `<mask> cannot be decoded (${(cause as Error).message})`,
              action: 'skipped',
            });
            return;
          }
          break;
        }
        default:
          if (t !== '' && t !== '#text') skipped.set(t, (skipped.get(t) ?? 0) + 1);
          return;
      }
      const z = num(at, 'z_order');
      const group = at.group_id !== undefined && at.group_id !== '0' ? `${label}\u0000${at.group_id}` : undefined;
      shapes.push({
        index,
        label,
        rings,
        mask,
        z: Number.isFinite(z) ? z : 0,
        occluded: at.occluded === '1' || at.occluded === 'true',
        group,
        crowd: false,
      });
    });
    images.push({
      labelFile: file,
      imageRef: name,
      width: Number.isFinite(width) ? width : undefined,
      height: Number.isFinite(height) ? height : undefined,
      shapes,
    });
  }
  for (const [tag, count] of skipped) {
    issues.push({
      severity: 'warning',
      code: 'unsupported_shape',
      file,
      message: `${count} <${tag}> element(s) have no area`,
      action: 'skipped (polygon, box, ellipse and mask are read)',
    });
  }
  return { images, issues };
}
