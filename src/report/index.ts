// report: the HTML report of a segment run (overlays, outlines by bin, size vectors, percent-passing curves,
// percentiles, scores, particle tables). It shows what the run's files say and never measures or scores anything again.
export * from './barChart.js';
export * from './client.js';
export * from './curveChart.js';
export * from './html.js';
export * from './loadRun.js';
export * from './loadSieve.js';
export * from './outlineLayer.js';
export * from './renderReport.js';
export * from './writeReport.js';
