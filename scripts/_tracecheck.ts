import { traceInstances } from '../src/annotate/trace.js';
import { rasterizeInstances } from '../src/annotate/rasterize.js';
import { readInstancePng } from '../src/io/index.js';
import fg from 'fast-glob';
const files = process.argv.slice(2);
for (const f of files) {
  const map = await readInstancePng(f);
  const t0 = Date.now();
  const polys = await traceInstances(map);
  const t1 = Date.now();
  const back = rasterizeInstances([...polys].map(([id, geometry]) => ({ id, geometry })), map.width, map.height);
  let diff = 0;
  for (let k = 0; k < map.data.length; k++) if (back.data[k] !== map.data[k]) diff++;
  let verts = 0; for (const mp of polys.values()) for (const p of mp) for (const r of p) verts += r.length;
  console.log(f.split('/').pop(), polys.size, 'diff', diff, 'ms', t1 - t0, 'verts', verts);
}
