// What annotate says about its input: every validation finding and repair, with where it was found.

export const IssueSeverity = {
  /** The shape or file was skipped; the run's exit code is non-zero. */
  error: 'error',
  /** Something was fixed (with --strict it becomes an error). */
  repair: 'repair',
  /** Worth knowing, nothing changed. */
  warning: 'warning',
} as const;
export type IssueSeverity = (typeof IssueSeverity)[keyof typeof IssueSeverity];

export type IssueCode =
  | 'malformed_file'
  | 'too_few_points'
  | 'non_finite'
  | 'zero_area'
  | 'self_intersection'
  | 'outside_image'
  | 'size_mismatch'
  | 'unknown_image'
  | 'image_not_found'
  | 'duplicate_id'
  | 'duplicate_image'
  | 'unsupported_shape'
  | 'unknown_category'
  | 'hidden'
  | 'too_many_instances'
  /** An image path that leads outside the label file's folder or --images (not opened). */
  | 'path_refused'
  /** The image named is a folder, FIFO, device or socket. */
  | 'not_a_file'
  /** The image (or the size a label file declares) is over --max-pixels or the memory budget. */
  | 'image_too_large'
  /** An output would overwrite an input file. */
  | 'overwrites_input'
  /** A polygon the clipping library could not make valid. */
  | 'unrepairable';

export interface AnnotationIssue {
  severity: IssueSeverity;
  code: IssueCode;
  /** The label file. */
  file: string;
  /** The image the finding concerns, as the label file names it. */
  image?: string | undefined;
  /** Which annotation: `#index` in the file, plus its id where the format has one. */
  annotation?: string | undefined;
  label?: string | undefined;
  /** What is wrong. */
  message: string;
  /** What was done about it (or what the user should do). */
  action: string;
}

export function formatIssue(issue: AnnotationIssue): string {
  const where = [issue.file, issue.image, issue.annotation, issue.label === undefined ? undefined : `label "${issue.label}"`]
    .filter((s) => s !== undefined && s !== '')
    .join(' ');
  return `${issue.severity}: ${where}: ${issue.message} → ${issue.action}`;
}
