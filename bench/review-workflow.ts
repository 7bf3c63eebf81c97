// Issue 13's workflow as a lab would run it, measured end to end: segment 2 photos of a material with the default
// model, correct them in the review store (the same ReviewStore.save the page's edits go through), mark them
// reviewed, fine-tune with the page's action (fineTuneOnReviewed, what `review DIR --fine-tune` and the button run),
// and score the material's other photos against the default model.
//
//   npm run bench:review-workflow                          the synthetic material of bench:finetune
//   npm run bench:review-workflow -- --site sem            the SEM patches
//   npm run bench:review-workflow -- --screenshots         also docs/img/review-{before,after}.jpg (needs Chromium)
//   npm run bench:review-workflow -- --minutes 3           a shorter budget (not the issue's figure)
//
// The corrections are made by a scripted annotator who knows the truth and uses the two edits a person uses most:
// a predicted particle that matches no true one (IoU < 0.5) is deleted (select, d: one action); a true particle
// no prediction matches is drawn (one outline: one action, its vertices counted too); matched particles are kept as
// predicted, with their small errors, as a person would keep them. Merge and split, which can replace a delete and
// a draw, are not used, so the action counts are an upper bound for a person. Writes
// bench/results/review-workflow-SITE.json.
import { mkdir, rm } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { matchInstances } from '../src/aggregate/index.js';
import { traceInstances } from '../src/annotate/index.js';
import { main } from '../src/cli/main.js';
import { readInstancePng, writeJsonAtomic } from '../src/io/index.js';
import type { ReviewParticle } from '../src/review/index.js';
import { ReviewStore, fineTuneOnReviewed, fromMultiPolygon, loadReviewRun, startReviewServer } from '../src/review/index.js';
import { FEW_SHOT } from '../src/train/fewShot.js';
import { log } from '../scripts/trainingSetup.js';
import { DEFAULT_SYNTH_LOOK, MIN_AREA, makeSite, rounded, scoreModel, truthOf } from './finetuneSites.js';

const ROOT = join(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: { site: { type: 'string', default: 'synth' }, look: { type: 'string', default: DEFAULT_SYNTH_LOOK }, minutes: { type: 'string' }, screenshots: { type: 'boolean', default: false } },
});
const { site, cache } = makeSite(args.site, join(ROOT, '.cache', 'finetune'), args.look);
const minutes = args.minutes ? Number(args.minutes) : FEW_SHOT.maxMinutes;
const resultName = site.name === 'synth' ? `synth-${args.look.replaceAll(',', '-')}` : site.name;
const run = join(cache, 'review-run');

await mkdir(cache, { recursive: true });
await site.prepare();
const photos = site.train();
await rm(run, { recursive: true, force: true });
log(`segment ${photos.map((p) => p.name).join(', ')} with the default model → ${run}`);
await main(['segment', ...photos.map((p) => p.image), '--out', run, '--model', 'default', '--workers', '1']);
if (process.exitCode) throw new Error('segment failed');

/** Screenshots of the page on the first photo, as a person sees it. */
async function screenshot(file: string): Promise<void> {
  const { launchChromium, watchedPage } = await import('../test/helpers/chromium.js');
  const server = await startReviewServer({ dir: run });
  const browser = await launchChromium();
  try {
    const problems: string[] = [];
    const page = await watchedPage(browser, (url) => url.startsWith(server.origin), problems, []);
    await page.goto(`${server.url}#${encodeURIComponent(photos[0]!.name)}`, { waitUntil: 'load' });
    await page.waitForSelector(`#viewport[data-photo="${photos[0]!.name}"]`);
    await page.screenshot({ path: file, type: 'jpeg', quality: 80 });
    if (problems.length) throw new Error(problems.join('\n'));
    log(`screenshot ${file}`);
  } finally {
    await browser.close();
    await server.close();
  }
}
const IMG = resolve(ROOT, 'docs', 'img');
if (args.screenshots) {
  await mkdir(IMG, { recursive: true });
  await screenshot(join(IMG, 'review-before.jpg'));
}

// The scripted annotator.
const store = await ReviewStore.open(await loadReviewRun(run));
const edits: { photo: string; predicted: number; truth: number; kept: number; deleted: number; drawn: number; drawnVertices: number; actions: number }[] = [];
for (const p of photos) {
  const current = await store.particles(p.name);
  const pred = await readInstancePng(join(run, 'instances', `${p.name}.png`));
  const truth = await truthOf(p.truth);
  const m = matchInstances(truth, { width: pred.width, height: pred.height, data: Int32Array.from(pred.data) });
  const keptIds = new Set(m.matches.filter((x) => x.iou > 0.5).map((x) => x.predId));
  const missing = m.matches.filter((x) => x.iou <= 0.5).map((x) => x.truthId);
  const remove = current.particles.map((q) => q.id).filter((id) => !keptIds.has(id));
  const outlines = await traceInstances(truth, missing);
  let next = Math.max(0, ...current.particles.map((q) => q.id)) + 1;
  const upsert: ReviewParticle[] = [];
  let vertices = 0;
  for (const id of missing) {
    const mp = outlines.get(id);
    if (!mp || mp.length === 0) continue;
    const polygons = fromMultiPolygon(mp);
    vertices += polygons.reduce((s, poly) => s + poly[0]!.length / 2, 0);
    upsert.push({ id: next++, polygons });
  }
  await store.save(p.name, { base: current.version, upsert, remove });
  await store.setReviewed(p.name, true);
  edits.push({ photo: p.name, predicted: current.particles.length, truth: m.truthCount, kept: keptIds.size, deleted: remove.length, drawn: upsert.length, drawnVertices: vertices, actions: remove.length + upsert.length + 1 });
  log(`${p.name}: ${current.particles.length} predicted, ${m.truthCount} true: kept ${keptIds.size}, deleted ${remove.length}, drew ${upsert.length} (${vertices} traced vertices), marked reviewed`);
}
await store.idle();
if (args.screenshots) await screenshot(join(IMG, 'review-after.jpg'));

log(`fine-tune from models/default on the reviewed photos for at most ${minutes} min`);
const ft = await fineTuneOnReviewed({ dir: run, init: 'default', maxMinutes: minutes, log });
log(`${ft.epochs} epochs in ${ft.seconds.toFixed(0)} s; scoring ${site.tests().length} photos`);
const before = await scoreModel('default', site.tests());
const after = await scoreModel(ft.model, site.tests());
const total = (k: 'deleted' | 'drawn' | 'actions' | 'drawnVertices'): number => edits.reduce((s, e) => s + e[k], 0);
const out = {
  command: `npm run bench:review-workflow -- --site ${args.site}${args.site === 'synth' ? ` --look ${args.look}` : ''}${args.minutes ? ` --minutes ${args.minutes}` : ''}`,
  date: new Date().toISOString(),
  site: { name: site.name, ...(site.name === 'synth' ? { look: args.look } : {}), note: site.note, train: photos.map((p) => p.name), test: site.tests().length },
  truth: `the site's labels, components under ${MIN_AREA} px left out`,
  annotator: 'scripted: delete every predicted particle matching no true one at IoU 0.5, draw every true particle no prediction matches, keep the rest as predicted, mark reviewed',
  edits,
  actions: { total: total('actions'), deleted: total('deleted'), drawn: total('drawn'), drawnVertices: total('drawnVertices'), reviewedMarks: edits.length },
  fineTune: { parent: 'models/default', via: 'fineTuneOnReviewed (review --fine-tune, the page button)', minutes, epochs: ft.epochs, trainSeconds: Math.round(ft.seconds), backend: ft.backend },
  default: rounded(before),
  fineTuned: rounded(after),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.versions.node },
};
await writeJsonAtomic(join(ROOT, 'bench', 'results', `review-workflow-${resultName}.json`), out);
process.stdout.write(
  `edits: ${out.actions.total} actions (${out.actions.deleted} deletes, ${out.actions.drawn} outlines drawn, ${edits.length} reviewed marks)\n` +
    `default:    F1 ${before.f1.toFixed(3)} (labelled ${before.f1Labelled.toFixed(3)})\nfine-tuned: F1 ${after.f1.toFixed(3)} (labelled ${after.f1Labelled.toFixed(3)})\n` +
    `written bench/results/review-workflow-${resultName}.json\n`,
);
