// Label-file formats: detection and parsing into RawImageLabels.
import { DEFAULT_MAX_PIXELS, PhotosieveError } from '../../core/index.js';
import { readTextFile } from '../../io/index.js';
import type { AnnotationIssue } from '../report.js';
import { isCoco, parseCoco } from './coco.js';
import { isCvat, parseCvat } from './cvat.js';
import { isLabelme, parseLabelme } from './labelme.js';
import { parseJsonText } from './parseJson.js';
import type { LabelFormat, ParseLimits, RawImageLabels } from './types.js';

export * from './types.js';
export * from './rle.js';
export { sanitizeNonFiniteTokens } from './parseJson.js';

export const LABEL_FORMATS = ['auto', 'labelme', 'coco', 'cvat'] as const;
export type LabelFormatOption = (typeof LABEL_FORMATS)[number];

export interface ParsedLabelFile {
  format: LabelFormat;
  images: RawImageLabels[];
  issues: AnnotationIssue[];
}

/** Reads and parses one label file; throws a PhotosieveError naming the file when it cannot be read at all. */
export async function readLabelFile(file: string, format: LabelFormatOption = 'auto', limits: ParseLimits = { maxPixels: DEFAULT_MAX_PIXELS }): Promise<ParsedLabelFile> {
  // A regular file only, and one that fits in a string (a FIFO is refused, a huge file is named as such).
  const text = await readTextFile(file, { what: 'label file' });
  const trimmed = text.trimStart();
  let detected: LabelFormat;
  let json: unknown;
  if (format === 'cvat' || (format === 'auto' && trimmed.startsWith('<'))) {
    if (format === 'auto' && !isCvat(text)) {
      throw new PhotosieveError('E_LABELS', 'XML without an <annotations> root: not a CVAT for images file.', {
        file,
        fix: 'export from CVAT as "CVAT for images 1.1"',
      });
    }
    detected = 'cvat';
  } else {
    json = parseJsonText(text, file);
    if (format !== 'auto') detected = format;
    else if (isLabelme(json)) detected = 'labelme';
    else if (isCoco(json)) detected = 'coco';
    else {
      throw new PhotosieveError('E_LABELS', 'cannot tell the format: neither LabelMe (shapes, imagePath) nor COCO (images, annotations).', {
        file,
        fix: 'pass --format labelme|coco|cvat',
      });
    }
  }
  const parsed = detected === 'cvat' ? parseCvat(text, file, limits) : detected === 'coco' ? parseCoco(json, file, limits) : parseLabelme(json, file);
  return { format: detected, ...parsed };
}
