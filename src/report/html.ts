// Text that goes into the HTML report: every string from the run folder passes through one of these, so a file
// name like `a<b>&"c` shows as written and can never become markup or script.

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` as \u escapes so no `</script>` or
 * `<!--` can end the block early; U+2028/2029 escaped as well, for older parsers. JSON.parse reads it back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A name as a relative URL path (`overlays/NAME.png`): `#`, `?`, `%` and spaces stay part of the name; the `/` of a
 * name with subfolders (segment --recursive: `site-a/IMG_1`) stays a folder separator.
 */
export function urlSegment(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

/** A number for display: `digits` decimals, "–" for a missing or non-finite value. */
export function fmt(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** A fraction as a percentage with one decimal. */
export function pct(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${(value * 100).toFixed(1)} %`;
}

/** An id usable in `id=""` and `#fragment` links, unique per image index (names may hold any character). */
export function imageAnchor(index: number): string {
  return `img-${index}`;
}
