// What a photo shows of the sieve result: count-, area- and mass-weighted size vectors of the VISIBLE stones,
// each binned by its true b-axis. They differ from the prescribed mass vector (fines hide under boulders, a
// photo weighs by area), and that gap is what a photo-sieve has to learn to bridge.
export interface VisibleVectors {
  /** Stones with at least one pixel in the instance map. */
  visibleParticles: number;
  count: number[];
  area: number[];
  mass: number[];
}

function normalize(v: number[]): number[] {
  const s = v.reduce((a, b) => a + b, 0);
  return v.map((x) => (s > 0 ? x / s : 0));
}

/**
 * `ids` is the instance map (0 = background); `stones[id - 1]` gives the bin and mass of instance `id`.
 */
export function visibleVectors(
  ids: Int32Array,
  stones: readonly { bin: number; mass: number }[],
  bins: number,
): VisibleVectors {
  const pixels = new Float64Array(stones.length + 1);
  for (let p = 0; p < ids.length; p++) pixels[ids[p]!]! += 1;
  const count = new Array<number>(bins).fill(0);
  const area = new Array<number>(bins).fill(0);
  const mass = new Array<number>(bins).fill(0);
  let visibleParticles = 0;
  stones.forEach((s, k) => {
    const px = pixels[k + 1]!;
    if (px === 0) return;
    visibleParticles += 1;
    count[s.bin]! += 1;
    area[s.bin]! += px;
    mass[s.bin]! += s.mass;
  });
  return { visibleParticles, count: normalize(count), area: normalize(area), mass: normalize(mass) };
}
