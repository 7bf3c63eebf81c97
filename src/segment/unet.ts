// The U-Net, defined once: the same builder serves inference here and training in src/train, so a model folder's
// meta.json architecture is enough to rebuild it exactly.
import * as tf from '@tensorflow/tfjs';
import type { BuildUnetOptions } from './unetKinds.js';
import { UNET_CLASSES, validateArchitecture } from './unetKinds.js';

export * from './unetKinds.js';

/**
 * Builds the U-Net as a functional tf.layers model with free spatial size (any multiple of unetSizeMultiple),
 * ending in a per-pixel softmax over the three PixelClass channels.
 */
export function buildUnet(options: BuildUnetOptions): tf.LayersModel {
  const { architecture: a, inputChannels } = options;
  validateArchitecture(a);
  let seed = options.seed ?? 1;
  const init = (): ReturnType<typeof tf.initializers.heNormal> => tf.initializers.heNormal({ seed: seed++ });

  const conv = (x: tf.SymbolicTensor, filters: number, name: string, kernelSize = 3): tf.SymbolicTensor => {
    let y = tf.layers
      .conv2d({ filters, kernelSize, padding: 'same', useBias: !a.batchNorm, kernelInitializer: init(), name: `${name}_conv` })
      .apply(x) as tf.SymbolicTensor;
    if (a.batchNorm) y = tf.layers.batchNormalization({ name: `${name}_bn` }).apply(y) as tf.SymbolicTensor;
    return tf.layers.reLU({ name: `${name}_relu` }).apply(y) as tf.SymbolicTensor;
  };
  const block = (x: tf.SymbolicTensor, filters: number, name: string): tf.SymbolicTensor =>
    conv(conv(x, filters, `${name}a`), filters, `${name}b`);

  const input = tf.input({ shape: [null, null, inputChannels], name: 'image' });
  const skips: tf.SymbolicTensor[] = [];
  let x = input;
  for (let level = 0; level < a.depth - 1; level++) {
    x = block(x, a.baseChannels * 2 ** level, `enc${level}`);
    skips.push(x);
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${level}` }).apply(x) as tf.SymbolicTensor;
  }
  x = block(x, a.baseChannels * 2 ** (a.depth - 1), 'bottleneck');
  for (let level = a.depth - 2; level >= 0; level--) {
    const filters = a.baseChannels * 2 ** level;
    switch (a.upsampling) {
      case 'transpose':
        x = tf.layers
          .conv2dTranspose({ filters, kernelSize: 2, strides: 2, padding: 'same', kernelInitializer: init(), name: `up${level}` })
          .apply(x) as tf.SymbolicTensor;
        break;
      case 'bilinear':
        x = tf.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear', name: `up${level}_resize` }).apply(x) as tf.SymbolicTensor;
        x = conv(x, filters, `up${level}`);
        break;
    }
    x = tf.layers.concatenate({ axis: -1, name: `skip${level}` }).apply([x, skips[level]!]) as tf.SymbolicTensor;
    x = block(x, filters, `dec${level}`);
  }
  const output = tf.layers
    .conv2d({ filters: options.classes ?? UNET_CLASSES, kernelSize: 1, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }), name: 'classes' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'photosieve_unet' });
}
