// The review server: node:http on 127.0.0.1 only, one random token per run (query, header, or the cookie the page
// gets), a Host check against DNS rebinding, paths confined to DIR, and a body limit. It serves the page, the
// photo list, each photo's image, instance PNG and particles, and takes the page's saves.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { open, readFile, realpath } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { z } from 'zod';
import { PhotosieveError, errorLine } from '../core/index.js';
import { DEFAULT_MAX_BODY_BYTES, HttpError, cookieValue, decodeSegment, readJsonBody, send, sendError, sendFile, sendJson, splitUrl } from './http.js';
import { loadReviewRun } from './loadReviewRun.js';
import type { ReviewPhoto } from './loadReviewRun.js';
import { REVIEW_CSS, reviewPage } from './page.js';
import { REVIEW_SCRIPT } from './client.js';
import type { CliLauncher } from './fineTuneJob.js';
import { reviewedNames } from './fineTune.js';
import { FineTuneJob, ownCli } from './fineTuneJob.js';
import { resolveInside } from './paths.js';
import { ReviewError, ReviewStore } from './reviewStore.js';

export interface ReviewServerOptions {
  /** The --out folder of a `photosieve segment` run. */
  dir: string;
  /** 0 picks a free port. @default 0 */
  port?: number | undefined;
  /** Largest request body accepted, in bytes; larger ones get 413. @default DEFAULT_MAX_BODY_BYTES */
  maxBodyBytes?: number | undefined;
  /** Where lines for the terminal go (failed background writes). @default nowhere */
  log?: ((line: string) => void) | undefined;
  /** How the page's fine-tune action runs photosieve's CLI. @default this photosieve (tests pass a stand-in) */
  fineTuneCli?: CliLauncher | undefined;
}

export interface ReviewServer {
  /** Open this: the origin with the token, `http://127.0.0.1:PORT/?token=…`. */
  url: string;
  origin: string;
  port: number;
  token: string;
  /** The header that carries the token for scripts (`X-Photosieve-Token`). */
  tokenHeader: string;
  store: ReviewStore;
  /** The page's fine-tune action (`POST /api/fine-tune`). */
  fineTune: FineTuneJob;
  /** Stops accepting requests, waits for writes in flight (coco.json included) and closes every connection. */
  close(): Promise<void>;
}

export const TOKEN_HEADER = 'x-photosieve-token';

const changesSchema = z.object({
  base: z.number().int().min(0),
  upsert: z.array(z.object({ id: z.number(), polygons: z.array(z.array(z.array(z.number()))) })).default([]),
  remove: z.array(z.number()).default([]),
});
const reviewedSchema = z.object({ reviewed: z.boolean() });
const fineTuneSchema = z.object({ maxMinutes: z.number().min(0.1).max(240).optional(), freezeEncoder: z.boolean().optional() }).strict();

interface Context {
  port: number;
  token: Buffer;
  cookie: string;
  maxBodyBytes: number;
  store: ReviewStore;
  fineTune: FineTuneJob;
  dirReal: string;
  vendorFile: string;
}

function tokenMatches(ctx: Context, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false;
  const b = Buffer.from(given);
  return b.length === ctx.token.length && timingSafeEqual(b, ctx.token);
}

function hostAllowed(ctx: Context, host: string | undefined): boolean {
  return host === `127.0.0.1:${ctx.port}` || host === `localhost:${ctx.port}`;
}

function parseBody<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new HttpError(400, `bad request body: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
}

function methodIs(req: IncomingMessage, ...allowed: string[]): void {
  if (!allowed.includes(req.method ?? '')) throw new HttpError(405, `${req.method} is not allowed here (only ${allowed.join(', ')})`);
}

const IMAGE_SIGNATURES: { type: string; test: (b: Buffer) => boolean }[] = [
  { type: 'image/jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/png', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { type: 'image/webp', test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
  { type: 'image/gif', test: (b) => b.subarray(0, 4).toString('latin1') === 'GIF8' },
];

/** The photo as the browser can show it: JPEG, PNG, WebP and GIF as they are; anything else (TIFF) as a JPEG. */
async function sendPhoto(res: ServerResponse, photo: ReviewPhoto): Promise<void> {
  const file = photo.imagePath!;
  // Only the exact files run.json lists: one replaced by a link to elsewhere since the start is refused.
  if ((await realpath(file).catch(() => null)) !== file) throw new HttpError(403, `${file} is no longer the photo run.json lists`);
  const head = Buffer.alloc(12);
  const fh = await open(file, 'r');
  try {
    await fh.read(head, 0, 12, 0);
  } finally {
    await fh.close();
  }
  const known = IMAGE_SIGNATURES.find((s) => s.test(head));
  if (known) return sendFile(res, file, known.type);
  const jpeg = await sharp(file, { failOn: 'error' }).rotate().jpeg({ quality: 92 }).toBuffer();
  send(res, 200, jpeg, 'image/jpeg');
}

async function sendInside(ctx: Context, res: ServerResponse, rel: string): Promise<void> {
  const r = await resolveInside(ctx.dirReal, rel);
  if (!r.ok) throw new HttpError(r.status, `${JSON.stringify(rel)}: ${r.why}`);
  await sendFile(res, r.file);
}

async function photoRoute(ctx: Context, req: IncomingMessage, res: ServerResponse, name: string, what: string | undefined): Promise<void> {
  const store = ctx.store;
  switch (what) {
    case 'particles':
      methodIs(req, 'GET', 'PUT');
      if (req.method === 'GET') return sendJson(res, 200, await store.particles(name));
      return sendJson(res, 200, await store.save(name, parseBody(changesSchema, await readJsonBody(req, ctx.maxBodyBytes))));
    case 'reviewed': {
      methodIs(req, 'PUT');
      const { reviewed } = parseBody(reviewedSchema, await readJsonBody(req, ctx.maxBodyBytes));
      return sendJson(res, 200, await store.setReviewed(name, reviewed));
    }
    case 'image':
      methodIs(req, 'GET');
      return sendPhoto(res, store.photo(name));
    case 'instances':
      methodIs(req, 'GET');
      store.photo(name);
      return sendInside(ctx, res, `instances/${name}.png`);
    default:
      throw new HttpError(404, 'no such resource');
  }
}

async function route(ctx: Context, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  if (path.startsWith('/files/')) {
    methodIs(req, 'GET');
    return sendInside(ctx, res, decodeSegment(path.slice('/files/'.length)));
  }
  const parts = path.split('/').slice(1).map(decodeSegment);
  const [a, b, c, d, ...rest] = parts;
  if (parts.length === 1) {
    methodIs(req, 'GET');
    if (a === '') return send(res, 200, reviewPage(ctx.store.run.dir), 'text/html; charset=utf-8');
    if (a === 'review.js') return send(res, 200, REVIEW_SCRIPT, 'text/javascript; charset=utf-8');
    if (a === 'review.css') return send(res, 200, REVIEW_CSS, 'text/css; charset=utf-8');
    if (a === 'favicon.ico') {
      // Browsers ask for it on their own; "none" is an answer, a 404 would be an error in the console.
      res.writeHead(204, { 'Cache-Control': 'no-store' });
      res.end();
      return;
    }
  }
  if (a === 'vendor' && b === 'polygon-clipping.js' && parts.length === 2) {
    methodIs(req, 'GET');
    return send(res, 200, await readFile(ctx.vendorFile), 'text/javascript; charset=utf-8');
  }
  if (a === 'api' && b === 'fine-tune' && parts.length === 2) {
    methodIs(req, 'GET', 'POST');
    if (req.method === 'GET') return sendJson(res, 200, ctx.fineTune.status());
    return sendJson(res, 202, await ctx.fineTune.start(parseBody(fineTuneSchema, await readJsonBody(req, ctx.maxBodyBytes))));
  }
  if (a === 'api' && b === 'photos' && rest.length === 0) {
    if (c === undefined) {
      methodIs(req, 'GET');
      return sendJson(res, 200, { dir: ctx.store.run.dir, photos: ctx.store.list() });
    }
    return photoRoute(ctx, req, res, c, d);
  }
  throw new HttpError(404, 'no such resource');
}

const STATUS_OF: Record<ReviewError['kind'], number> = { invalid: 400, conflict: 409, unknown: 404, unavailable: 404 };

async function handle(ctx: Context, req: IncomingMessage, res: ServerResponse, log: (line: string) => void): Promise<void> {
  const { path, query } = splitUrl(req.url ?? '/');
  if (!hostAllowed(ctx, req.headers.host)) return sendError(res, 403, 'refused: this server answers only as 127.0.0.1 or localhost');
  const fromQuery = query.get('token');
  const given = fromQuery ?? (req.headers[TOKEN_HEADER] as string | undefined) ?? cookieValue(req.headers.cookie, ctx.cookie);
  if (!tokenMatches(ctx, given)) return sendError(res, 403, 'refused: missing or wrong token; open the URL photosieve review printed');
  if (fromQuery !== null && path === '/' && req.method === 'GET') {
    // The token moves into a cookie for this origin only (port included in its name: cookies ignore ports).
    res.writeHead(303, { Location: '/', 'Set-Cookie': `${ctx.cookie}=${fromQuery}; HttpOnly; SameSite=Strict; Path=/`, 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' });
    res.end();
    return;
  }
  try {
    await route(ctx, req, res, path);
  } catch (err) {
    if (err instanceof HttpError) {
      // A body refused before it was read: close the connection rather than read megabytes for nothing.
      sendError(res, err.status, err.message, err.status === 413 ? { Connection: 'close' } : {});
    } else if (err instanceof ReviewError) sendError(res, STATUS_OF[err.kind], err.message);
    else {
      log(`review: ${req.method} ${path}: ${errorLine(err)}`);
      sendError(res, 500, errorLine(err));
    }
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why = err.code === 'EADDRINUSE' ? 'is already in use' : err.code === 'EACCES' ? 'needs privileges' : `cannot be opened (${err.message})`;
      reject(new PhotosieveError('E_PARAM', `port ${port} on 127.0.0.1 ${why}.`, { fix: 'pass another --port, or leave it out for a free one' }));
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      const addr = server.address();
      resolvePort(typeof addr === 'object' && addr !== null ? addr.port : port);
    });
  });
}

/** Opens DIR (a segment run; a folder without run.json is a one-line error) and serves it for review. */
export async function startReviewServer(options: ReviewServerOptions): Promise<ReviewServer> {
  const log = options.log ?? (() => {});
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PhotosieveError('E_PARAM', `--port must be an integer from 0 to 65535, received ${port}.`);
  const run = await loadReviewRun(options.dir);
  const store = await ReviewStore.open(run, log);
  const token = randomBytes(24).toString('base64url');
  const vendorFile = createRequire(import.meta.url).resolve('polygon-clipping/dist/polygon-clipping.umd.min.js');
  const fineTune = new FineTuneJob(options.dir, options.fineTuneCli ?? ownCli, {
    reviewed: () => reviewedNames(store.list()),
    idle: () => store.idle(),
  });
  const ctx: Context = { port, token: Buffer.from(token), cookie: '', maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, store, fineTune, dirReal: run.dirReal, vendorFile };
  const server = createServer((req, res) => {
    handle(ctx, req, res, log).catch((err: unknown) => {
      log(`review: ${errorLine(err)}`);
      sendError(res, 500, errorLine(err));
    });
  });
  ctx.port = await listen(server, port);
  ctx.cookie = `photosieve_review_${ctx.port}`;
  const origin = `http://127.0.0.1:${ctx.port}`;
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      await Promise.all([store.idle(), fineTune.stop()]);
      server.closeAllConnections();
      await closed;
    })());
  return { url: `${origin}/?token=${token}`, origin, port: ctx.port, token, tokenHeader: 'X-Photosieve-Token', store, fineTune, close };
}
