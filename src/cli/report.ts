// `photosieve report`: thin layer over src/report — write the HTML report of a segment run and say where it is.
import { Command } from 'commander';

export function reportCommand(): Command {
  return new Command('report')
    .description(
      'Write a self-contained HTML report of a photosieve segment run: summary, the\n' +
        'batch (all particles pooled: histograms-pooled.csv, its percent-passing curve),\n' +
        'warnings, and per image the zoomable overlay with the outlines coloured by bin\n' +
        '(edge particles dashed), the size vector and the cumulative percent-passing\n' +
        'curve on a log size axis beside the truth, D10…D90, Cu, Cc, scores, and a\n' +
        'sortable particle table. Default: DIR/report/index.html, with the overlays,\n' +
        'outline layers, particle tables and histogram CSVs beside it in DIR/report;\n' +
        'zip that folder to send it.\n' +
        'The page opens offline and makes no network request.',
    )
    .argument('<dir>', 'the --out folder of photosieve segment (with run.json)')
    .option('-o, --out <file>', 'the HTML file; overlays/ and particles/ are written beside it (default DIR/report/index.html)')
    .option('--embed', 'put the overlays inside the HTML as data URIs: one file, no folder (large)', false)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  photosieve segment photos --out results --scale 0.1 --truth truth.csv && photosieve report results\n' +
        '  photosieve evaluate --pred results --truth truth.csv && photosieve report results   (adds MAE, KL, skill)\n' +
        '  photosieve report results --embed --out results-report.html\n' +
        '\nExit code 1 when a file of an image (overlay, particle table) is missing or damaged; the report is still written.',
    )
    .action(async (dir: string, flags: { out?: string; embed: boolean }) => {
      const { writeReport } = await import('../report/index.js');
      const r = await writeReport({ dir, out: flags.out, embed: flags.embed });
      const d = r.data;
      const failed = d.images.filter((im) => im.status === 'failed').length;
      const mb = (r.bytes / 1e6).toFixed(1);
      process.stdout.write(`report: ${d.images.length} image(s) (${failed} failed), ${d.images.reduce((a, im) => a + (im.particles ?? 0), 0)} particle(s); ${mb} MB page${flags.embed ? ' with embedded overlays' : `, ${r.layers.length} outline layer(s) drawn and ${r.copied.length} file(s) copied beside it`}\n`);
      for (const p of d.problems) process.stdout.write(`warning: ${p}\n`);
      process.stdout.write(`written: ${r.file}\n`);
      if (d.problems.length > 0) process.exitCode = 1;
    });
}
