// Run-length encoded masks: COCO's (column-major, counts or the compressed string form) and CVAT's (row-major
// inside a box). Both start with a run of zeros.

/** Decodes COCO's compressed RLE string (the LEB128-like form of the COCO API) into run lengths. */
export function decodeCocoRleString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= s.length) throw new Error('truncated RLE string');
      const c = s.charCodeAt(p) - 48;
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && (c & 0x10) !== 0) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    counts.push(x);
  }
  return counts;
}

/** Encodes run lengths as COCO's compressed RLE string. */
export function encodeCocoRleString(counts: readonly number[]): string {
  let s = '';
  counts.forEach((count, i) => {
    let x = i > 2 ? count - counts[i - 2]! : count;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = (c & 0x10) !== 0 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  });
  return s;
}

/** Expands runs (zeros first) into a row-major bit mask; `columnMajor` for COCO. */
export function runsToBits(counts: readonly number[], width: number, height: number, columnMajor: boolean): Uint8Array {
  const n = width * height;
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== n) throw new Error(`RLE covers ${total} pixels, the mask has ${width}×${height} = ${n}`);
  const bits = new Uint8Array(n);
  let pos = 0;
  counts.forEach((count, k) => {
    if (count < 0) throw new Error('negative run length');
    if (k % 2 === 1) {
      for (let q = pos; q < pos + count; q++) {
        const idx = columnMajor ? (q % height) * width + Math.floor(q / height) : q;
        bits[idx] = 1;
      }
    }
    pos += count;
  });
  return bits;
}
