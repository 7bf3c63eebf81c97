// The review's state behind the server: per photo its current particles (from review/NAME.json, else traced from
// instances/NAME.png), a version that every save must name, and the reviewed marks. Writes run one at a time;
// coco.json is rewritten after saves, coalesced so a burst of saves costs one rewrite.
import { existsSync } from 'node:fs';
import { errorLine } from '../core/index.js';
import { traceInstances } from '../annotate/index.js';
import { readInstancePng } from '../io/index.js';
import type { ReviewPhoto, ReviewRun } from './loadReviewRun.js';
import type { ParticleChanges, ReviewParticle } from './particles.js';
import { fromMultiPolygon, normalizeParticle, particleProblem } from './particles.js';
import type { CocoSource, PhotoReviewState, ReviewImage } from './reviewFiles.js';
import { labelmePhotoRef, photoRef, readReviewLabelme, readReviewState, reviewFileOf, writeReviewCoco, writeReviewLabelme, writeReviewState } from './reviewFiles.js';

/** What a request did wrong; the server turns `kind` into a status code. */
export class ReviewError extends Error {
  constructor(
    readonly kind: 'invalid' | 'conflict' | 'unknown' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'ReviewError';
  }
}

export interface PhotoEntry {
  name: string;
  width: number;
  height: number;
  reviewed: boolean;
  /** A review file exists (the photo is in coco.json). */
  saved: boolean;
  /** Particles of the last save, null before the first. */
  particles: number | null;
  /** Why the photo cannot be reviewed, or null. */
  problem: string | null;
}

export interface PhotoParticles {
  name: string;
  width: number;
  height: number;
  version: number;
  source: 'review' | 'instances';
  reviewed: boolean;
  particles: ReviewParticle[];
}

interface Loaded {
  particles: Map<number, ReviewParticle>;
  source: 'review' | 'instances';
}

/** Photos whose particles stay in memory; older ones are read again from their files when asked for. */
const KEEP_LOADED = 4;

export class ReviewStore {
  private readonly photos: Map<string, ReviewPhoto>;
  private readonly loaded = new Map<string, Loaded>();
  private readonly loading = new Map<string, Promise<Loaded>>();
  private queue: Promise<unknown> = Promise.resolve();
  private coco: Promise<void> | null = null;
  private cocoAgain = false;
  /** Saves written since the store was opened. */
  saves = 0;
  /** The last coco.json failure, as one line (null when the last rewrite succeeded). */
  cocoError: string | null = null;

  private constructor(
    readonly run: ReviewRun,
    private readonly states: Map<string, PhotoReviewState>,
    private readonly log: (line: string) => void,
  ) {
    this.photos = new Map(run.photos.map((p) => [p.name, p]));
  }

  static async open(run: ReviewRun, log: (line: string) => void = () => {}): Promise<ReviewStore> {
    const before = await readReviewState(run.dir);
    const states = new Map<string, PhotoReviewState>();
    for (const p of run.photos) states.set(p.name, before.get(p.name) ?? { name: p.name, reviewed: false, saves: 0, savedAt: null, particles: null });
    return new ReviewStore(run, states, log);
  }

  list(): PhotoEntry[] {
    return this.run.photos.map((p) => {
      const s = this.states.get(p.name)!;
      return { name: p.name, width: p.width, height: p.height, reviewed: s.reviewed, saved: existsSync(reviewFileOf(this.run.dir, p.name)), particles: s.particles, problem: p.problem };
    });
  }

  photo(name: string): ReviewPhoto {
    const p = this.photos.get(name);
    if (!p) throw new ReviewError('unknown', `no photo named ${JSON.stringify(name)} in this run`);
    if (p.problem !== null) throw new ReviewError('unavailable', p.problem);
    return p;
  }

  async particles(name: string): Promise<PhotoParticles> {
    const p = this.photo(name);
    const l = await this.load(p);
    const s = this.states.get(name)!;
    return { name, width: p.width, height: p.height, version: s.saves, source: l.source, reviewed: s.reviewed, particles: [...l.particles.values()] };
  }

  /** Applies the page's changes if they are based on the current version, and writes review/NAME.json. */
  async save(name: string, changes: ParticleChanges): Promise<{ version: number; particles: number }> {
    const p = this.photo(name);
    for (const q of changes.upsert) {
      const why = particleProblem(q, p.width, p.height);
      if (why !== null) throw new ReviewError('invalid', why);
    }
    const ids = new Set(changes.upsert.map((q) => q.id));
    if (ids.size !== changes.upsert.length) throw new ReviewError('invalid', 'the same particle id is sent twice in upsert');
    return this.exclusive(async () => {
      const l = await this.load(p);
      const s = this.states.get(name)!;
      if (changes.base !== s.saves) {
        throw new ReviewError('conflict', `${name} was saved since this page loaded it (version ${s.saves}, the page has ${changes.base}): reload the page`);
      }
      const next = new Map(l.particles);
      for (const id of changes.remove) next.delete(id);
      for (const q of changes.upsert) next.set(q.id, normalizeParticle(q));
      await writeReviewLabelme(reviewFileOf(this.run.dir, name), this.labelmeImageOf(p), next.values());
      const state = { ...s, saves: s.saves + 1, savedAt: new Date().toISOString(), particles: next.size };
      await this.writeStates(name, state);
      l.particles = next;
      l.source = 'review';
      this.saves += 1;
      this.scheduleCoco();
      return { version: state.saves, particles: next.size };
    });
  }

  /** Marks a photo reviewed (or not); a photo never saved gets its review file now, from its traced particles. */
  async setReviewed(name: string, reviewed: boolean): Promise<PhotoEntry> {
    const p = this.photo(name);
    return this.exclusive(async () => {
      const l = await this.load(p);
      const s = this.states.get(name)!;
      const file = reviewFileOf(this.run.dir, name);
      if (!existsSync(file)) await writeReviewLabelme(file, this.labelmeImageOf(p), l.particles.values());
      await this.writeStates(name, { ...s, reviewed, particles: l.particles.size });
      this.scheduleCoco();
      return this.list().find((e) => e.name === name)!;
    });
  }

  /** Resolves when every write asked for so far, coco.json included, is on disk. */
  async idle(): Promise<void> {
    for (;;) {
      const q = this.queue;
      await q.catch(() => {});
      const c = this.coco;
      if (c) await c;
      if (q === this.queue && this.coco === null) return;
    }
  }

  /** The photo as coco.json names it (relative to DIR/review). */
  private imageOf(p: ReviewPhoto): ReviewImage {
    return { name: p.name, fileName: photoRef(this.run.dir, p.imagePath!), width: p.width, height: p.height };
  }

  /** The photo as its review/NAME.json names it (relative to that file's folder: review/a for a photo a/x). */
  private labelmeImageOf(p: ReviewPhoto): ReviewImage {
    return { ...this.imageOf(p), fileName: labelmePhotoRef(this.run.dir, p.name, p.imagePath!) };
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private async writeStates(name: string, state: PhotoReviewState): Promise<void> {
    const all = this.run.photos.map((p) => (p.name === name ? state : this.states.get(p.name)!));
    await writeReviewState(this.run.dir, all);
    this.states.set(name, state);
  }

  private load(p: ReviewPhoto): Promise<Loaded> {
    const hit = this.loaded.get(p.name);
    if (hit) {
      this.loaded.delete(p.name);
      this.loaded.set(p.name, hit);
      return Promise.resolve(hit);
    }
    let pending = this.loading.get(p.name);
    if (!pending) {
      pending = this.readParticles(p).finally(() => this.loading.delete(p.name));
      this.loading.set(p.name, pending);
    }
    return pending.then((l) => {
      this.loaded.set(p.name, l);
      while (this.loaded.size > KEEP_LOADED) this.loaded.delete(this.loaded.keys().next().value!);
      return l;
    });
  }

  private async readParticles(p: ReviewPhoto): Promise<Loaded> {
    const file = reviewFileOf(this.run.dir, p.name);
    if (existsSync(file)) {
      const list = await readReviewLabelme(file, p.name, p.width, p.height);
      return { particles: new Map(list.map((q) => [q.id, q])), source: 'review' };
    }
    const traced = await traceInstances(await readInstancePng(p.instancesFile));
    const particles = new Map<number, ReviewParticle>();
    for (const [id, mp] of traced) {
      const polygons = fromMultiPolygon(mp);
      if (polygons.length > 0) particles.set(id, { id, polygons });
    }
    return { particles, source: 'instances' };
  }

  private cocoSources(): CocoSource[] {
    return this.run.photos
      .filter((p) => p.problem === null && existsSync(reviewFileOf(this.run.dir, p.name)))
      .map((p) => ({
        ...this.imageOf(p),
        particles: async () => this.loaded.get(p.name)?.particles.values() ?? (await readReviewLabelme(reviewFileOf(this.run.dir, p.name), p.name, p.width, p.height)),
      }));
  }

  private scheduleCoco(): void {
    if (this.coco) {
      this.cocoAgain = true;
      return;
    }
    this.coco = (async () => {
      do {
        this.cocoAgain = false;
        try {
          await writeReviewCoco(this.run.dir, this.cocoSources());
          this.cocoError = null;
        } catch (err) {
          this.cocoError = errorLine(err);
          this.log(`review: coco.json not written: ${this.cocoError}`);
        }
      } while (this.cocoAgain);
    })().finally(() => {
      this.coco = null;
    });
  }
}
