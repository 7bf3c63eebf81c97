// Worker thread entry: one segmenter per worker (its own engine and OpenCV heap), images one at a time. On close
// the engine is released before the thread ends, and the worker says what it still holds (all zero unless leaking).
import { parentPort, workerData } from 'node:worker_threads';
import { errorLine } from '../core/index.js';
import { liveMatCount } from '../cv/index.js';
import type { Segmenter } from '../segment/createSegmenter.js';
import { createSegmenter } from '../segment/createSegmenter.js';
import { liveTensorCount } from '../segment/engine.js';
import { liveSessionCount } from '../segment/ortEngine.js';
import { processImage } from './processImage.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('worker.ts must run as a worker thread');
const init = workerData as WorkerInit;
const send = (message: FromWorker): void => port.postMessage(message);
const held = (): { tensors: number; mats: number; sessions: number } => ({ tensors: liveTensorCount(), mats: liveMatCount(), sessions: liveSessionCount() });

let segmenter: Segmenter | undefined;
try {
  segmenter = await createSegmenter(init.segmenter);
  send({ type: 'ready', info: { kind: segmenter.kind, modelId: segmenter.modelId, meta: segmenter.meta, backend: segmenter.backend } });
} catch (err) {
  send({ type: 'fatal', error: errorLine(err) });
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'close' || segmenter === undefined) {
    void (async () => {
      try {
        await segmenter?.dispose();
      } finally {
        send({ type: 'closed', ...held() });
        port.close();
      }
    })();
    return;
  }
  const { job } = message;
  const active = segmenter;
  void processImage(active, job, init.context, (done, total) => send({ type: 'tile', index: job.index, done, total })).then((result) =>
    send({ type: 'result', index: job.index, result, ...held() }),
  );
});
