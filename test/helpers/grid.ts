// Tiny label maps written as text, so expected pixels can be read in the test itself.

/** Parses rows like '.11.2' (a dot or 0 is 0; digits and letters a–z are 1–9, 10–35). */
export function grid(rows: string[]): { width: number; height: number; data: Int32Array } {
  const height = rows.length;
  const width = rows[0]!.length;
  const data = new Int32Array(width * height);
  rows.forEach((row, i) => {
    if (row.length !== width) throw new Error(`row ${i} has ${row.length} columns, expected ${width}`);
    [...row].forEach((ch, j) => {
      data[i * width + j] = ch === '.' ? 0 : parseInt(ch, 36);
    });
  });
  return { width, height, data };
}

/** Renders a map back to rows (the inverse of grid, with '.' for 0). */
export function rows(map: { width: number; height: number; data: ArrayLike<number> }): string[] {
  const out: string[] = [];
  for (let i = 0; i < map.height; i++) {
    let s = '';
    for (let j = 0; j < map.width; j++) {
      const v = map.data[i * map.width + j]!;
      s += v === 0 ? '.' : v === 255 ? 'x' : v.toString(36);
    }
    out.push(s);
  }
  return out;
}

/** Renumbers ids by first appearance in raster order, so two maps with the same particles compare equal. */
export function canonicalIds<T extends { width: number; height: number; data: ArrayLike<number> }>(map: T): T {
  const next = new Map<number, number>();
  const data = Array.from(map.data, (v) => {
    if (v === 0) return 0;
    if (!next.has(v)) next.set(v, next.size + 1);
    return next.get(v)!;
  });
  return { ...map, data };
}
