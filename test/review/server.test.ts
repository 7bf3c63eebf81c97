// The review server without a browser: the token, the Host check, paths confined to the run folder, the body
// limit, saves (atomic, versioned, read back the same) and files that `photosieve annotate` imports unchanged.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Script } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillMultiPolygon, pixelArea, runAnnotate } from '../../src/annotate/index.js';
import { readInstancePng } from '../../src/io/index.js';
import type { ReviewParticle, ReviewServer } from '../../src/review/index.js';
import { REVIEW_SCRIPT, readReviewLabelme, startReviewServer, toMultiPolygon } from '../../src/review/index.js';
import { capture, resetCliAfterEach } from '../helpers/cli.js';
import { errorLineOf } from '../helpers/errors.js';
import { canonicalIds, rows } from '../helpers/grid.js';
import { tempDir } from '../helpers/tmp.js';
import type { FakeReviewRun } from './fakeReviewRun.js';
import { H, RING, SHAPES, W, countId, writeFakeReviewRun } from './fakeReviewRun.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A raw request: the path goes out exactly as written (fetch would fold `..` away), headers as given. */
function raw(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean } = {}): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', fail);
    if (options.body !== undefined && options.chunked) {
      // No Content-Length: the server has to count.
      const b = Buffer.from(options.body);
      for (let k = 0; k < b.length; k += 1000) req.write(b.subarray(k, k + 1000));
    } else if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
let run: FakeReviewRun;
let server: ReviewServer;
let auth: Record<string, string>;
const json = { 'Content-Type': 'application/json' };

async function api<T>(path: string, options: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const r = await raw(server.port, path, { method: options.method, headers: { ...auth, ...json }, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  return { status: r.status, body: JSON.parse(r.text) as T };
}

interface ParticlesReply {
  version: number;
  source: string;
  width: number;
  height: number;
  particles: ReviewParticle[];
}

const particlesOf = async (name: string): Promise<ParticlesReply> => (await api<ParticlesReply>(`/api/photos/${name}/particles`)).body;
const areaOf = (p: ReviewParticle): number => pixelArea(toMultiPolygon(p.polygons), W, H);
const rect = (x0: number, y0: number, x1: number, y1: number): number[] => [x0, y0, x1, y0, x1, y1, x0, y1];

beforeAll(async () => {
  tmp = await tempDir();
  run = await writeFakeReviewRun(tmp.dir);
  await mkdir(join(tmp.dir, 'outside'));
  await writeFile(join(tmp.dir, 'outside', 'secret.txt'), 'not for the browser');
  await mkdir(join(run.dir, 'particles'));
  await writeFile(join(run.dir, 'particles', 'tray.csv'), 'id,x_px\n1,2\n');
  await symlink(join(tmp.dir, 'outside', 'secret.txt'), join(run.dir, 'escape.txt'));
  await symlink(join(tmp.dir, 'outside'), join(run.dir, 'escape-dir'));
  await symlink(join(run.dir, 'particles', 'tray.csv'), join(run.dir, 'inside-link.csv'));
  server = await startReviewServer({ dir: run.dir, maxBodyBytes: 200_000 });
  auth = { 'X-Photosieve-Token': server.token };
});

afterAll(async () => {
  await server?.close();
});

describe('the token', () => {
  it('every request without it, or with a wrong one, is refused with 403; query, header and cookie are accepted', async () => {
    for (const path of ['/', '/review.js', '/api/photos', '/api/photos/tray/image', '/files/run.json']) {
      expect((await raw(server.port, path)).status, path).toBe(403);
      expect((await raw(server.port, path, { headers: { 'X-Photosieve-Token': `${server.token}x` } })).status, path).toBe(403);
      expect((await raw(server.port, `${path}?token=wrong`)).status, path).toBe(403);
    }
    expect(JSON.parse((await raw(server.port, '/api/photos')).text)).toEqual({ error: expect.stringMatching(/token/) });
    expect((await raw(server.port, '/api/photos', { headers: auth })).status).toBe(200);
    expect((await raw(server.port, `/api/photos?token=${server.token}`)).status).toBe(200);

    // The printed URL sets a cookie (HttpOnly, SameSite=Strict, named after the port) and drops the token from the address.
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    const first = await raw(server.port, new URL(server.url).pathname + new URL(server.url).search);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^photosieve_review_${server.port}=${server.token}; HttpOnly; SameSite=Strict; Path=/`));
    const page = await raw(server.port, '/', { headers: { Cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<script src="/review.js"></script>');
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect((await raw(server.port, '/', { headers: { Cookie: `photosieve_review_${server.port}=nope` } })).status).toBe(403);
  });

  it('a request naming another host (DNS rebinding) is refused even with the token', async () => {
    expect((await raw(server.port, '/api/photos', { headers: { ...auth, Host: `evil.example:${server.port}` } })).status).toBe(403);
    expect((await raw(server.port, '/api/photos', { headers: { ...auth, Host: `localhost:${server.port}` } })).status).toBe(200);
  });

  it('listens on 127.0.0.1 only; a port in use is one line naming the fix', async () => {
    expect(server.origin).toBe(`http://127.0.0.1:${server.port}`);
    const line = await errorLineOf(() => startReviewServer({ dir: run.dir, port: server.port }));
    expect(line).toBe(`port ${server.port} on 127.0.0.1 is already in use. Fix: pass another --port, or leave it out for a free one`);
  });
});

describe('paths', () => {
  it('serves files inside DIR, and refuses ../, absolute paths and symbolic links that lead out of it', async () => {
    const ok = await raw(server.port, '/files/particles/tray.csv', { headers: auth });
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('id,x_px\n1,2\n');
    expect((await raw(server.port, '/files/inside-link.csv', { headers: auth })).status).toBe(200);
    const refused = [
      '/files/../outside/secret.txt',
      '/files/particles/../../outside/secret.txt',
      '/files/%2e%2e/outside/secret.txt',
      '/files/..%2Foutside%2Fsecret.txt',
      '/files/..%5Coutside%5Csecret.txt',
      '/files//etc/passwd',
      '/files/%2Fetc%2Fpasswd',
      `/files/${encodeURIComponent(join(tmp.dir, 'outside', 'secret.txt'))}`,
      '/files/C:%5Cwindows%5Cwin.ini',
      '/files/escape.txt',
      '/files/escape-dir/secret.txt',
      '/files/particles/%00tray.csv',
    ];
    for (const path of refused) {
      const r = await raw(server.port, path, { headers: auth });
      expect(r.status, path).toBe(403);
      expect(r.text).not.toContain('not for the browser');
    }
    expect((await raw(server.port, '/files/nothing-here.txt', { headers: auth })).status).toBe(404);
  });

  it('serves exactly the photos run.json lists (outside DIR too), by name; other names are 404', async () => {
    const photo = await raw(server.port, '/api/photos/tray/image', { headers: auth });
    expect(photo.status).toBe(200);
    expect(photo.headers['content-type']).toBe('image/png');
    expect(Buffer.byteLength(photo.text, 'latin1')).toBeGreaterThan(0);
    expect((await raw(server.port, '/api/photos/second/image', { headers: auth })).status).toBe(200); // relative path in run.json
    for (const name of ['..%2F..%2Foutside%2Fsecret.txt', 'broken', 'nope', '%2Fetc%2Fpasswd']) {
      expect((await raw(server.port, `/api/photos/${name}/image`, { headers: auth })).status, name).toBe(404);
    }
    const inst = await raw(server.port, '/api/photos/tray/instances', { headers: auth });
    expect(inst.status).toBe(200);
    expect(inst.headers['content-type']).toBe('image/png');
  });

  it('lists the photos with their size and review status; the failed one is not listed', async () => {
    const { body } = await api<{ photos: { name: string; width: number; height: number; reviewed: boolean; problem: string | null }[] }>('/api/photos');
    expect(body.photos.map((p) => [p.name, p.width, p.height, p.reviewed, p.problem])).toEqual([
      ['tray', W, H, false, null],
      ['second', 40, 30, false, null],
    ]);
  });
});

describe('the body limit', () => {
  it('refuses a body over the limit with 413, announced or counted, and takes one under it', async () => {
    const big = JSON.stringify({ base: 0, upsert: [], remove: Array.from({ length: 60_000 }, (_, k) => k) });
    expect(big.length).toBeGreaterThan(200_000);
    const announced = await raw(server.port, '/api/photos/tray/particles', { method: 'PUT', headers: { ...auth, ...json }, body: big });
    expect(announced.status).toBe(413);
    expect(JSON.parse(announced.text)).toEqual({ error: expect.stringMatching(/over the limit of 200000 bytes/) });
    const counted = await raw(server.port, '/api/photos/tray/particles', { method: 'PUT', headers: { ...auth, ...json, 'Transfer-Encoding': 'chunked' }, body: big, chunked: true });
    expect(counted.status).toBe(413);
    // The refused saves changed nothing.
    expect((await particlesOf('tray')).version).toBe(0);
    expect(existsSync(join(run.dir, 'review', 'tray.json'))).toBe(false);
  });

  it('refuses bodies that are not JSON, malformed, or not a save', async () => {
    expect((await raw(server.port, '/api/photos/tray/particles', { method: 'PUT', headers: { ...auth, 'Content-Type': 'text/plain' }, body: '{}' })).status).toBe(415);
    expect((await raw(server.port, '/api/photos/tray/particles', { method: 'PUT', headers: { ...auth, ...json }, body: '{"base": 0,' })).status).toBe(400);
    expect((await api('/api/photos/tray/particles', { method: 'PUT', body: { upsert: [] } })).status).toBe(400);
    expect((await api('/api/photos/tray/particles', { method: 'DELETE' })).status).toBe(405);
  });
});

describe('saving', () => {
  it('starts from instances/NAME.png traced to polygons that cover exactly the instance pixels', async () => {
    const r = await particlesOf('tray');
    expect(r.source).toBe('instances');
    expect(r.version).toBe(0);
    expect(r.particles.map((p) => p.id).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const p of r.particles) expect(areaOf(p), `particle ${p.id}`).toBe(countId(run.map, p.id));
    expect(r.particles.find((p) => p.id === RING.id)!.polygons[0]).toHaveLength(2); // outer ring and hole
  });

  let sent: ReviewParticle[];
  it('applies a save, writes LabelMe that re-reads to the same polygons, and refuses stale or invalid saves', async () => {
    const before = await particlesOf('tray');
    const d = SHAPES.D.box;
    // Particle 4 cut into two (one stays 4, the other is new), 1 deleted, a new one drawn with a closing point.
    sent = [
      { id: 4, polygons: [[rect(d[0], d[1], 30, d[3] + 1)]] },
      { id: 40, polygons: [[rect(30, d[1], d[2] + 1, d[3] + 1)]] },
      { id: 50, polygons: [[[20, 90, 48, 90, 48, 112, 20, 112, 20, 90]]] },
    ];
    const saved = await api<{ version: number; particles: number }>('/api/photos/tray/particles', { method: 'PUT', body: { base: 0, upsert: sent, remove: [1, 999] } });
    expect(saved).toEqual({ status: 200, body: { version: 1, particles: 8 } });
    const after = await particlesOf('tray');
    expect(after.version).toBe(1);
    expect(after.source).toBe('review');
    const byId = new Map(after.particles.map((p) => [p.id, p]));
    expect([...byId.keys()].sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 40, 50]);
    expect(byId.get(4)!.polygons).toEqual(sent[0]!.polygons);
    expect(byId.get(40)!.polygons).toEqual(sent[1]!.polygons);
    expect(byId.get(50)!.polygons).toEqual([[rect(20, 90, 48, 112)]]); // the closing point is dropped
    for (const id of [2, 3, 5, 6, 7]) expect(byId.get(id)).toEqual(before.particles.find((p) => p.id === id));

    // The file itself: LabelMe with the photo beside it, one shape per piece, ids as group_id.
    const file = join(run.dir, 'review', 'tray.json');
    const doc = JSON.parse(await readFile(file, 'utf8')) as { imagePath: string; imageWidth: number; imageHeight: number; shapes: { label: string; group_id: number; shape_type: string }[] };
    expect(resolve(run.dir, 'review', doc.imagePath)).toBe(run.photo);
    expect([doc.imageWidth, doc.imageHeight]).toEqual([W, H]);
    expect(new Set(doc.shapes.map((s) => s.label))).toEqual(new Set(['particle']));
    expect(new Set(doc.shapes.map((s) => s.shape_type))).toEqual(new Set(['polygon']));
    expect(new Set(doc.shapes.map((s) => s.group_id))).toEqual(new Set([2, 3, 4, 5, 6, 7, 40, 50]));
    // Read back from disk (a new server, nothing in memory), the particles are the same; the ring keeps its hole.
    const reread = await readReviewLabelme(file, 'tray', W, H);
    const again = new Map(reread.map((p) => [p.id, p]));
    for (const [id, p] of byId) {
      if (id === RING.id) expect(areaOf(again.get(id)!)).toBe(countId(run.map, RING.id));
      else expect(again.get(id), `particle ${id}`).toEqual(p);
    }

    // A save based on an old version is a conflict; a bad coordinate or id is a 400 naming it; nothing changes.
    const stale = await api<{ error: string }>('/api/photos/tray/particles', { method: 'PUT', body: { base: 0, upsert: [], remove: [2] } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatch(/reload the page/);
    const outside = await api<{ error: string }>('/api/photos/tray/particles', { method: 'PUT', body: { base: 1, upsert: [{ id: 60, polygons: [[rect(150, 100, 170, 110)]] }] } });
    expect(outside).toEqual({ status: 400, body: { error: expect.stringMatching(/particle 60.*coordinate 170 lies outside the 160×120 image/) } });
    expect((await api('/api/photos/tray/particles', { method: 'PUT', body: { base: 1, upsert: [{ id: 0, polygons: [[rect(1, 1, 5, 5)]] }] } })).status).toBe(400);
    expect((await api('/api/photos/tray/particles', { method: 'PUT', body: { base: 1, upsert: [{ id: 61, polygons: [[[1, 1, 5, 5]]] }] } })).status).toBe(400);
    expect((await particlesOf('tray')).version).toBe(1);
  });

  it('saves atomically: a reader never sees a partial file, and no temporary file is left', async () => {
    const file = join(run.dir, 'review', 'tray.json');
    // Enough particles that a write takes more than one system call (the body stays under this server's 200 kB limit).
    const many: ReviewParticle[] = [];
    for (let k = 0; k < 160; k++) {
      const x = (k % 40) * 4;
      const y = 100 + Math.floor(k / 40) * 2;
      const ring: number[] = [];
      for (let a = 0; a < 40; a++) ring.push(+(x + 1.5 + 1.4 * Math.cos((a * Math.PI) / 20)).toFixed(3), +(y + 1 + 0.9 * Math.sin((a * Math.PI) / 20)).toFixed(3));
      many.push({ id: 1000 + k, polygons: [[ring]] });
    }
    let version = (await particlesOf('tray')).version;
    // One save first, so the file exists whatever ran before.
    version = (await api<{ version: number }>('/api/photos/tray/particles', { method: 'PUT', body: { base: version, upsert: [], remove: [] } })).body.version;
    let reading = true;
    let reads = 0;
    const bad: string[] = [];
    const reader = (async () => {
      while (reading) {
        // Every failure is recorded, none thrown: the reader must not end before the saves do.
        try {
          const text = await readFile(file, 'utf8');
          reads += 1;
          try {
            JSON.parse(text);
          } catch {
            bad.push(`partial: …${text.slice(-40)}`);
          }
        } catch (err) {
          bad.push(`unreadable: ${(err as Error).message}`);
        }
      }
    })();
    for (let k = 0; k < 12; k++) {
      const body = k % 2 === 0 ? { base: version, upsert: many, remove: [] } : { base: version, upsert: [], remove: many.map((p) => p.id) };
      const r = await api<{ version: number }>('/api/photos/tray/particles', { method: 'PUT', body });
      expect(r.status).toBe(200);
      version = r.body.version;
    }
    reading = false;
    await reader;
    expect(reads).toBeGreaterThan(12);
    expect(bad).toEqual([]);
    await server.store.idle();
    expect((await readdir(join(run.dir, 'review'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('marks photos reviewed in state.json; a photo never edited gets its review file from its traced particles', async () => {
    const r = await api<{ name: string; reviewed: boolean; saved: boolean }>('/api/photos/second/reviewed', { method: 'PUT', body: { reviewed: true } });
    expect(r).toEqual({ status: 200, body: expect.objectContaining({ name: 'second', reviewed: true, saved: true }) });
    await server.store.idle();
    const state = JSON.parse(await readFile(join(run.dir, 'review', 'state.json'), 'utf8')) as { reviewed: number; photos: { name: string; reviewed: boolean; saves: number }[] };
    expect(state.reviewed).toBe(1);
    expect(state.photos.map((p) => [p.name, p.reviewed])).toEqual([
      ['tray', false],
      ['second', true],
    ]);
    expect(state.photos[0]!.saves).toBe(14);
    expect(existsSync(join(run.dir, 'review', 'second.json'))).toBe(true);
    expect((await api('/api/photos/second/reviewed', { method: 'PUT', body: { reviewed: 'yes' } })).status).toBe(400);
  });

  it('the LabelMe files and coco.json import with photosieve annotate unchanged: same particles, same pixel areas', async () => {
    await server.store.idle();
    const ours = (await particlesOf('tray')).particles;
    const expected = new Int32Array(W * H);
    for (const p of ours) fillMultiPolygon(toMultiPolygon(p.polygons), W, H, expected, p.id);

    const viaLabelme = join(tmp.dir, 'via-labelme');
    const rl = await runAnnotate({ labels: [join(run.dir, 'review', 'tray.json')], out: viaLabelme, allowOutside: true });
    expect(rl.totals).toMatchObject({ images: 1, particles: ours.length, errors: 0, repairs: 0, warnings: 0 });
    const mapL = await readInstancePng(join(viaLabelme, 'instances', 'tray.png'));
    expect(rows(canonicalIds(mapL))).toEqual(rows(canonicalIds({ width: W, height: H, data: expected })));
    expect(existsSync(join(viaLabelme, 'images', 'tray.png'))).toBe(true); // the photo was found through imagePath

    const viaCoco = join(tmp.dir, 'via-coco');
    const rc = await runAnnotate({ labels: [join(run.dir, 'review', 'coco.json')], out: viaCoco, allowOutside: true });
    expect(rc.totals).toMatchObject({ images: 2, errors: 0, repairs: 0, warnings: 0 });
    expect(rc.images.map((im) => [im.name, im.particles])).toEqual([
      ['tray', ours.length],
      ['second', 1],
    ]);
    const mapC = await readInstancePng(join(viaCoco, 'instances', 'tray.png'));
    expect(rows(canonicalIds(mapC))).toEqual(rows(canonicalIds({ width: W, height: H, data: expected })));
    const areas = (m: { data: Int32Array }): number[] => [...new Set(m.data)].filter((v) => v !== 0).map((v) => countId(m, v)).sort((a, b) => a - b);
    expect(areas(mapC)).toEqual(ours.map(areaOf).sort((a, b) => a - b));
    expect(countId(mapC, 0)).toBe(countId({ data: expected }, 0));
  });

  it('a new server on the same folder continues from the saved files and versions', async () => {
    const before = await particlesOf('tray');
    const second = await startReviewServer({ dir: run.dir });
    try {
      const r = await raw(second.port, '/api/photos/tray/particles', { headers: { 'X-Photosieve-Token': second.token } });
      const after = JSON.parse(r.text) as ParticlesReply;
      expect(after.version).toBe(before.version);
      expect(after.source).toBe('review');
      const byId = new Map(after.particles.map((p) => [p.id, p]));
      for (const p of before.particles) {
        if (p.id === RING.id) expect(areaOf(byId.get(p.id)!)).toBe(areaOf(p));
        else expect(byId.get(p.id)).toEqual(p);
      }
      expect(second.token).not.toBe(server.token);
    } finally {
      await second.close();
    }
  });
});

describe('a photo that cannot be found', () => {
  it('is listed with the reason and cannot be opened', async () => {
    const dir = join(tmp.dir, 'lost');
    await mkdir(join(dir, 'instances'), { recursive: true });
    await writeFile(join(dir, 'instances', 'gone.png'), await readFile(join(run.dir, 'instances', 'second.png')));
    await writeFile(join(dir, 'run.json'), JSON.stringify({ tool: 'photosieve segment', images: [{ name: 'gone', path: 'nowhere/gone.jpg', status: 'done' }] }));
    const lost = await startReviewServer({ dir });
    try {
      const headers = { 'X-Photosieve-Token': lost.token };
      const list = JSON.parse((await raw(lost.port, '/api/photos', { headers })).text) as { photos: { name: string; problem: string }[] };
      expect(list.photos).toEqual([expect.objectContaining({ name: 'gone', problem: expect.stringMatching(/^photo nowhere\/gone\.jpg not found from .* or beside /) })]);
      for (const what of ['particles', 'image']) {
        const r = await raw(lost.port, `/api/photos/gone/${what}`, { headers });
        expect(r.status).toBe(404);
        expect(r.text).toMatch(/not found/);
      }
    } finally {
      await lost.close();
    }
  });
});

describe('on a real segment run (classical mode, one demo photo)', () => {
  resetCliAfterEach();
  it('lists the photo by the path segment recorded, serves it, traces its instance map exactly, and a save imports back', async () => {
    const seg = join(tmp.dir, 'segmented');
    const r = await capture(['segment', 'fixtures/demo/images/g02_001.jpg', '--out', seg, '--model', 'classical', '--workers', '0']);
    expect(r.exitCode).toBe(0);
    const real = await startReviewServer({ dir: seg });
    try {
      const get = async (path: string, init: { method?: string; body?: unknown } = {}): Promise<Reply> =>
        raw(real.port, path, { method: init.method, headers: { 'X-Photosieve-Token': real.token, ...json }, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
      const list = JSON.parse((await get('/api/photos')).text) as { photos: { name: string; width: number; problem: string | null }[] };
      expect(list.photos).toEqual([expect.objectContaining({ name: 'g02_001', width: 768, problem: null })]);
      const photo = await get('/api/photos/g02_001/image');
      expect([photo.status, photo.headers['content-type']]).toEqual([200, 'image/jpeg']);
      const map = await readInstancePng(join(seg, 'instances', 'g02_001.png'));
      const ps = (JSON.parse((await get('/api/photos/g02_001/particles')).text) as ParticlesReply).particles;
      const ids = [...new Set(map.data)].filter((v) => v !== 0);
      expect(ps).toHaveLength(ids.length);
      expect(ids.length).toBeGreaterThan(100);
      const traced = new Int32Array(map.width * map.height);
      for (const p of ps) fillMultiPolygon(toMultiPolygon(p.polygons), map.width, map.height, traced, p.id);
      expect(rows({ ...map, data: traced })).toEqual(rows(map));

      const saved = await get('/api/photos/g02_001/particles', { method: 'PUT', body: { base: 0, upsert: [], remove: [ps[0]!.id] } });
      expect(saved.status).toBe(200);
      await real.store.idle();
      const back = await runAnnotate({ labels: [join(seg, 'review', 'coco.json')], out: join(tmp.dir, 'segmented-annotated'), allowOutside: true });
      expect(back.totals).toMatchObject({ images: 1, particles: ids.length - 1, errors: 0, repairs: 0 });
    } finally {
      await real.close();
    }
  });
});

describe('photosieve review (CLI)', () => {
  resetCliAfterEach();
  const cli = ['--import', 'tsx', 'src/cli/run.ts'];

  it('--help lists the options, the shortcuts and the files written', async () => {
    const { out, exitCode } = await capture(['review', '--help']);
    expect(exitCode).toBe(0);
    for (const s of ['--port', '--no-open', 'review/NAME.json', 'coco.json', 'state.json', '127.0.0.1', 'ctrl+z']) expect(out).toContain(s);
  });

  it('a folder without run.json: one line naming the file and the fix', async () => {
    const empty = join(tmp.dir, 'empty');
    await mkdir(empty);
    const line = await errorLineOf(() => capture(['review', empty, '--no-open']));
    expect(line).toBe(`${join(empty, 'run.json')}: no run.json: not a photosieve segment run folder. Fix: pass the --out folder of photosieve segment, or run photosieve segment IMAGES... --out ${empty} first`);
    const err = await promisify(execFile)(process.execPath, [...cli, 'review', empty, '--no-open']).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr.trim().split('\n')).toEqual([`photosieve: ${line}`]);
  });

  it('a bad --port: one line', async () => {
    await expect(capture(['review', run.dir, '--port', '70000'])).rejects.toThrow(/--port must be an integer from 0 to 65535/);
  });

  it('as a process: prints the URL, answers with the token, and stops on SIGINT with one line once saves are written', async () => {
    const child = spawn(process.execPath, [...cli, 'review', run.dir, '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!/open http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const url = new URL(/open (http:\/\/\S+)/.exec(out)![1]!);
      expect(out).toMatch(/^review: 2 photo\(s\), 1 reviewed; edits are saved to .*review\n/);
      const port = Number(url.port);
      const token = url.searchParams.get('token')!;
      expect((await raw(port, '/api/photos')).status).toBe(403);
      const list = await raw(port, '/api/photos', { headers: { 'X-Photosieve-Token': token } });
      expect(JSON.parse(list.text)).toMatchObject({ photos: [{ name: 'tray' }, { name: 'second', reviewed: true }] });
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out.trim().split('\n').at(-1)).toMatch(/^review: stopped \(SIGINT\); 0 save\(s\) written this session to /);
      expect(err).toBe('');
      await expect(raw(port, '/api/photos', { headers: { 'X-Photosieve-Token': token } })).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('the page script', () => {
  it('is valid JavaScript (compiled, not run; the browser test runs it)', () => {
    expect(() => new Script(REVIEW_SCRIPT)).not.toThrow();
    expect(() => new Script(`${REVIEW_SCRIPT} }`)).toThrow(SyntaxError);
  });
});
