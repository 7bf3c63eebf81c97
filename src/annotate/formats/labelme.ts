// LabelMe JSON (one image per file): polygon, rectangle and circle shapes become particles; later shapes lie
// on top; shapes sharing a group_id (and label) are one particle.
import { z } from 'zod';
import { ellipseRing } from '../../core/index.js';
import type { AnnotationIssue } from '../report.js';
import type { RawImageLabels, RawShape } from './types.js';
import { parseWithSchema } from './parseJson.js';

const coord = z.number().nullable();
const LabelmeSchema = z.object({
  shapes: z.array(
    z.object({
      label: z.string(),
      points: z.array(z.array(coord).min(2)),
      shape_type: z.string().nullish(),
      group_id: z.union([z.number(), z.string()]).nullish(),
    }),
  ),
  imagePath: z.string(),
  imageWidth: z.number().int().positive().nullish(),
  imageHeight: z.number().int().positive().nullish(),
});

export function isLabelme(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'shapes' in value && 'imagePath' in value;
}

export function parseLabelme(value: unknown, file: string): { images: RawImageLabels[]; issues: AnnotationIssue[] } {
  const doc = parseWithSchema(LabelmeSchema, value, file, 'LabelMe');
  const issues: AnnotationIssue[] = [];
  const shapes: RawShape[] = [];
  doc.shapes.forEach((s, index) => {
    const type = s.shape_type ?? 'polygon';
    const pts = s.points.map((p) => [p[0] ?? null, p[1] ?? null]);
    let rings: (number | null)[][][];
    switch (type) {
      case 'polygon':
        rings = [pts];
        break;
      case 'rectangle': {
        // Two corners in LabelMe; some tools write all four, so take the bounding box of whatever is there.
        const xs = pts.map((p) => p[0]).filter((v): v is number => v !== null);
        const ys = pts.map((p) => p[1]).filter((v): v is number => v !== null);
        if (xs.length < 2 || ys.length < 2) {
          rings = [pts];
          break;
        }
        const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
        rings = [[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]];
        break;
      }
      case 'circle': {
        // Centre and a point on the circle; anything else is left to validation to report (too few points, NaN).
        const [cx, cy] = pts[0] ?? [];
        const [ex, ey] = pts[1] ?? [];
        const ok = pts.length === 2 && [cx, cy, ex, ey].every((v) => typeof v === 'number' && Number.isFinite(v));
        const r = ok ? Math.hypot(ex! - cx!, ey! - cy!) : NaN;
        rings = [ok && r > 0 && Number.isFinite(r) ? ellipseRing(cx!, cy!, r, r) : pts];
        break;
      }
      default:
        issues.push({
          severity: 'warning',
          code: 'unsupported_shape',
          file,
          image: doc.imagePath,
          annotation: `#${index}`,
          label: s.label,
          message: `shape_type "${type}" has no area`,
          action: 'skipped (only polygon, rectangle and circle shapes are particles)',
        });
        return;
    }
    const group = s.group_id === null || s.group_id === undefined ? undefined : `${s.label}\u0000${s.group_id}`;
    shapes.push({ index, label: s.label, rings, z: 0, occluded: false, group, crowd: false });
  });
  return {
    images: [
      {
        labelFile: file,
        imageRef: doc.imagePath,
        width: doc.imageWidth ?? undefined,
        height: doc.imageHeight ?? undefined,
        shapes,
      },
    ],
    issues,
  };
}
