// ONNX export of a photosieve model folder: the tfjs layers graph (model.json + weights) rewritten as an ONNX
// ModelProto for onnxruntime, with batch norm folded into the preceding convolution and free height/width. The
// exported graph keeps tfjs's NHWC layout at its edges (one Transpose in, one out) so both engines take and give
// the same tensors; inside it runs NCHW, the layout ORT's CPU kernels are fastest in.
import onnxPkg from 'onnx-proto';
import { PhotosieveError } from '../core/index.js';

const { onnx } = onnxPkg;

/** ONNX opset the graph is written for (Softmax over one axis, Resize with scales: opset 13 semantics). */
export const ONNX_OPSET = 13;
/** IR version of onnx-proto's schema (ONNX 1.10). */
export const ONNX_IR_VERSION = 8;
export const ONNX_INPUT = 'image';
export const ONNX_OUTPUT = 'probabilities';

/** Metadata keys written into the ONNX file, read back by the engine to check the file matches its folder. */
export const ONNX_META = { source: 'photosieve.source_sha256', producer: 'photosieve' } as const;

interface InboundRef {
  layer: string;
}

interface LayerSpec {
  name: string;
  className: string;
  config: Record<string, unknown>;
  inbound: InboundRef[];
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
}

export interface ExportInput {
  /** model.json's modelTopology (a tfjs / Keras functional model). */
  modelTopology: unknown;
  weightSpecs: WeightSpec[];
  /** The concatenated weight files, in weightSpecs order. */
  weightData: Uint8Array;
  /** Producer string and a hash of the source files, stored in the ONNX metadata. */
  sourceSha256: string;
  producerVersion: string;
}

export interface ExportSummary {
  /** Serialized ModelProto. */
  bytes: Uint8Array;
  nodes: number;
  /** Batch-norm layers folded into their convolution. */
  foldedBatchNorms: number;
  parameters: number;
}

function fail(message: string): never {
  throw new PhotosieveError('E_INPUT', `cannot export to ONNX: ${message}.`, {
    fix: 'export supports photosieve U-Nets (Conv2D, Conv2DTranspose, BatchNormalization, ReLU, MaxPooling2D, UpSampling2D, Concatenate, softmax); retrain with photosieve train',
  });
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} is not an object`);
  return v as Record<string, unknown>;
}

function pair(v: unknown, what: string): [number, number] {
  if (typeof v === 'number' && Number.isInteger(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x))) return [v[0] as number, v[1] as number];
  fail(`${what} must be one integer or two, got ${JSON.stringify(v)}`);
}

/** Reads config.layers with their inbound layer names (tfjs writes inbound_nodes as [[[name, 0, 0, {}], …]]). */
function parseLayers(topology: unknown): { layers: LayerSpec[]; outputs: string[] } {
  const top = record(topology, 'modelTopology');
  const config = record(top.config, 'modelTopology.config');
  if (!Array.isArray(config.layers)) fail('modelTopology.config.layers is missing');
  const layers = config.layers.map((raw, i): LayerSpec => {
    const l = record(raw, `layer ${i}`);
    const c = record(l.config, `layer ${i} config`);
    const name = typeof l.name === 'string' ? l.name : typeof c.name === 'string' ? c.name : fail(`layer ${i} has no name`);
    const nodes = Array.isArray(l.inbound_nodes) ? l.inbound_nodes : [];
    if (nodes.length > 1) fail(`layer ${name} is used more than once (shared layers are not supported)`);
    const first: unknown[] = nodes.length === 1 && Array.isArray(nodes[0]) ? (nodes[0] as unknown[]) : [];
    const inbound = first.map((ref) => {
      if (!Array.isArray(ref) || typeof ref[0] !== 'string') fail(`layer ${name} has a malformed inbound node`);
      if (ref[2] !== undefined && ref[2] !== 0) fail(`layer ${name} reads output ${String(ref[2])} of ${ref[0]} (multi-output layers are not supported)`);
      return { layer: ref[0] };
    });
    return { name, className: String(l.class_name), config: c, inbound };
  });
  const outs = Array.isArray(config.output_layers) ? config.output_layers : [];
  const outputs = outs.map((o) => (Array.isArray(o) && typeof o[0] === 'string' ? o[0] : fail('malformed output_layers')));
  if (outputs.length !== 1) fail(`the model has ${outputs.length} outputs, photosieve models have one`);
  return { layers, outputs };
}

/** Weight tensors by name, as float32 views into the weight data. */
function weightTable(specs: WeightSpec[], data: Uint8Array): Map<string, { shape: number[]; values: Float32Array }> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  let at = 0;
  for (const s of specs) {
    if (s.dtype !== 'float32') fail(`weight ${s.name} is ${s.dtype}; only float32 weights are supported`);
    const count = s.shape.reduce((a, b) => a * b, 1);
    const bytes = count * 4;
    if (at + bytes > data.byteLength) fail(`the weight data is shorter than model.json says (${s.name})`);
    // Copy: the source may be a view into a larger (Buffer pool) allocation, not 4-byte aligned.
    const copy = new Uint8Array(bytes);
    copy.set(data.subarray(at, at + bytes));
    const values = new Float32Array(copy.buffer);
    out.set(s.name, { shape: s.shape, values });
    at += bytes;
  }
  if (at !== data.byteLength) fail(`the weight data has ${data.byteLength - at} bytes more than model.json describes`);
  return out;
}

type Attr = onnxPkg.onnx.IAttributeProto;
const AttrType = onnx.AttributeProto.AttributeType;
const ints = (name: string, v: number[]): Attr => ({ name, type: AttrType.INTS, ints: v });
const int = (name: string, v: number): Attr => ({ name, type: AttrType.INT, i: v });
const str = (name: string, v: string): Attr => ({ name, type: AttrType.STRING, s: new TextEncoder().encode(v) });

function floatTensor(name: string, dims: number[], values: Float32Array): onnxPkg.onnx.ITensorProto {
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

/** HWIO (tfjs Conv2D kernel) → OIHW (ONNX Conv weight), each output channel scaled by `scale`. */
function convKernelToOihw(k: Float32Array, shape: number[], scale?: Float32Array): Float32Array {
  const [kh, kw, ci, co] = shape as [number, number, number, number];
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = k[((y * kw + x) * ci + i) * co + o]! * (scale ? scale[o]! : 1);
  return out;
}

/** tfjs Conv2DTranspose kernel [kh, kw, out, in] → ONNX ConvTranspose weight [in, out, kh, kw]. */
function transposeKernelToIohw(k: Float32Array, shape: number[]): Float32Array {
  const [kh, kw, co, ci] = shape as [number, number, number, number];
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let o = 0; o < co; o++)
        for (let i = 0; i < ci; i++) out[((i * co + o) * kh + y) * kw + x] = k[((y * kw + x) * co + o) * ci + i]!;
  return out;
}

/** Pads for 'same' with stride 1, as TensorFlow places them (the odd pixel at the end); undefined for 'valid'. */
function samePads(padding: unknown, kernel: [number, number], strides: [number, number], name: string): Attr[] {
  if (padding === 'valid') return [];
  if (padding !== 'same') fail(`layer ${name} has padding ${JSON.stringify(padding)}`);
  if (strides[0] !== 1 || strides[1] !== 1) return [str('auto_pad', 'SAME_UPPER')];
  const [kh, kw] = kernel;
  const top = Math.floor((kh - 1) / 2);
  const left = Math.floor((kw - 1) / 2);
  return [ints('pads', [top, left, kh - 1 - top, kw - 1 - left])];
}

/** Converts a tfjs layers model to ONNX. Pure: the caller reads and writes files. */
export function layersToOnnx(input: ExportInput): ExportSummary {
  const { layers, outputs } = parseLayers(input.modelTopology);
  const weights = weightTable(input.weightSpecs, input.weightData);
  const weight = (layer: string, key: string): { shape: number[]; values: Float32Array } =>
    weights.get(`${layer}/${key}`) ?? fail(`weight ${layer}/${key} is missing from the weights manifest`);
  const consumers = new Map<string, number>();
  for (const l of layers) for (const r of l.inbound) consumers.set(r.layer, (consumers.get(r.layer) ?? 0) + 1);
  const byName = new Map(layers.map((l) => [l.name, l]));

  const nodes: onnxPkg.onnx.INodeProto[] = [];
  const initializers: onnxPkg.onnx.ITensorProto[] = [];
  /** The ONNX value each tfjs layer's output became. */
  const valueOf = new Map<string, string>();
  const channelsOf = new Map<string, number>();
  let inputChannels = 0;
  let parameters = 0;
  let folded = 0;
  const addInit = (name: string, dims: number[], values: Float32Array): string => {
    initializers.push(floatTensor(name, dims, values));
    parameters += values.length;
    return name;
  };
  const inputOf = (l: LayerSpec, k = 0): string => {
    const ref = l.inbound[k] ?? fail(`layer ${l.name} has no input ${k}`);
    return valueOf.get(ref.layer) ?? fail(`layer ${l.name} reads ${ref.layer} before it is defined`);
  };
  const activation = (l: LayerSpec, value: string): string => {
    const act = l.config.activation ?? 'linear';
    switch (act) {
      case 'linear':
        return value;
      case 'relu':
        nodes.push({ opType: 'Relu', input: [value], output: [`${l.name}/relu`], name: `${l.name}/relu` });
        return `${l.name}/relu`;
      case 'sigmoid':
        nodes.push({ opType: 'Sigmoid', input: [value], output: [`${l.name}/sigmoid`], name: `${l.name}/sigmoid` });
        return `${l.name}/sigmoid`;
      case 'softmax':
        nodes.push({ opType: 'Softmax', input: [value], output: [`${l.name}/softmax`], name: `${l.name}/softmax`, attribute: [int('axis', 1)] });
        return `${l.name}/softmax`;
      default:
        return fail(`layer ${l.name} has activation ${JSON.stringify(act)}`);
    }
  };
  /** The batch-norm layer that alone consumes `l`, when it can be folded into l's convolution. */
  const foldableBn = (l: LayerSpec): LayerSpec | undefined => {
    if (consumers.get(l.name) !== 1 || (l.config.activation ?? 'linear') !== 'linear') return undefined;
    const next = layers.find((m) => m.inbound.some((r) => r.layer === l.name));
    return next?.className === 'BatchNormalization' ? next : undefined;
  };
  /** Per-channel scale and shift of a batch-norm layer in inference mode. */
  const bnAffine = (bn: LayerSpec, channels: number): { scale: Float32Array; shift: Float32Array } => {
    const axis = bn.config.axis ?? -1;
    if (axis !== -1 && axis !== 3 && !(Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))) {
      fail(`batch norm ${bn.name} normalizes axis ${JSON.stringify(axis)}, not channels`);
    }
    const eps = typeof bn.config.epsilon === 'number' ? bn.config.epsilon : 1e-3;
    const ones = new Float32Array(channels).fill(1);
    const zeros = new Float32Array(channels);
    const gamma = bn.config.scale === false ? ones : weight(bn.name, 'gamma').values;
    const beta = bn.config.center === false ? zeros : weight(bn.name, 'beta').values;
    const mean = weight(bn.name, 'moving_mean').values;
    const variance = weight(bn.name, 'moving_variance').values;
    const scale = new Float32Array(channels);
    const shift = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      scale[c] = gamma[c]! / Math.sqrt(variance[c]! + eps);
      shift[c] = beta[c]! - mean[c]! * scale[c]!;
    }
    return { scale, shift };
  };
  const skip = new Set<string>();

  for (const l of layers) {
    if (skip.has(l.name)) continue;
    const c = l.config;
    switch (l.className) {
      case 'InputLayer': {
        const shape: unknown = c.batch_input_shape ?? c.batchInputShape;
        const ch: unknown = Array.isArray(shape) ? shape[3] : undefined;
        if (!Array.isArray(shape) || shape.length !== 4 || typeof ch !== 'number') fail('the input must be [batch, height, width, channels]');
        inputChannels = ch;
        nodes.push({ opType: 'Transpose', input: [ONNX_INPUT], output: ['image/nchw'], name: 'image/nchw', attribute: [ints('perm', [0, 3, 1, 2])] });
        valueOf.set(l.name, 'image/nchw');
        channelsOf.set(l.name, ch);
        break;
      }
      case 'Conv2D': {
        const kernel = pair(c.kernel_size, `${l.name}.kernel_size`);
        const strides = pair(c.strides ?? 1, `${l.name}.strides`);
        const dilations = pair(c.dilation_rate ?? 1, `${l.name}.dilation_rate`);
        if ((c.groups ?? 1) !== 1) fail(`layer ${l.name} is a grouped convolution`);
        const k = weight(l.name, 'kernel');
        const [kh, kw, ci, co] = k.shape as [number, number, number, number];
        if (kh !== kernel[0] || kw !== kernel[1]) fail(`layer ${l.name}'s kernel shape does not match its config`);
        const bn = foldableBn(l);
        const bias = c.use_bias === false ? new Float32Array(co) : weight(l.name, 'bias').values;
        let w: Float32Array;
        let b: Float32Array;
        if (bn) {
          const { scale, shift } = bnAffine(bn, co);
          w = convKernelToOihw(k.values, k.shape, scale);
          b = new Float32Array(co);
          for (let o = 0; o < co; o++) b[o] = bias[o]! * scale[o]! + shift[o]!;
          skip.add(bn.name);
          folded++;
        } else {
          w = convKernelToOihw(k.values, k.shape);
          b = new Float32Array(bias);
        }
        const out = `${l.name}/conv`;
        nodes.push({
          opType: 'Conv',
          name: out,
          input: [inputOf(l), addInit(`${l.name}/W`, [co, ci, kh, kw], w), addInit(`${l.name}/B`, [co], b)],
          output: [out],
          attribute: [ints('kernel_shape', kernel), ints('strides', strides), ints('dilations', dilations), ...samePads(c.padding, kernel, strides, l.name)],
        });
        const value = activation(l, out);
        valueOf.set(l.name, value);
        channelsOf.set(l.name, co);
        if (bn) {
          valueOf.set(bn.name, value);
          channelsOf.set(bn.name, co);
        }
        break;
      }
      case 'Conv2DTranspose': {
        const kernel = pair(c.kernel_size, `${l.name}.kernel_size`);
        const strides = pair(c.strides ?? 1, `${l.name}.strides`);
        const k = weight(l.name, 'kernel');
        const [kh, kw, co, ci] = k.shape as [number, number, number, number];
        // 'same' with kernel = stride is exactly 'valid' (output = input × stride); other 'same' cases crop
        // depending on the input size, which photosieve's U-Nets never use.
        if (c.padding === 'same' && (kernel[0] !== strides[0] || kernel[1] !== strides[1])) {
          fail(`layer ${l.name}: transposed convolution with padding 'same' needs kernel = stride`);
        }
        if (c.padding !== 'same' && c.padding !== 'valid') fail(`layer ${l.name} has padding ${JSON.stringify(c.padding)}`);
        const bias = c.use_bias === false ? new Float32Array(co) : weight(l.name, 'bias').values;
        const out = `${l.name}/convT`;
        nodes.push({
          opType: 'ConvTranspose',
          name: out,
          input: [inputOf(l), addInit(`${l.name}/W`, [ci, co, kh, kw], transposeKernelToIohw(k.values, k.shape)), addInit(`${l.name}/B`, [co], new Float32Array(bias))],
          output: [out],
          attribute: [ints('kernel_shape', kernel), ints('strides', strides)],
        });
        valueOf.set(l.name, activation(l, out));
        channelsOf.set(l.name, co);
        break;
      }
      case 'BatchNormalization': {
        // Not after a foldable convolution: an explicit scale-and-shift (Mul, Add) in inference mode.
        const src = l.inbound[0]?.layer ?? fail(`layer ${l.name} has no input`);
        const ch = channelsOf.get(src) ?? fail(`layer ${l.name}: unknown channel count of ${src}`);
        const { scale, shift } = bnAffine(l, ch);
        const mul = `${l.name}/mul`;
        const add = `${l.name}/add`;
        nodes.push({ opType: 'Mul', name: mul, input: [inputOf(l), addInit(`${l.name}/scale`, [1, ch, 1, 1], scale)], output: [mul] });
        nodes.push({ opType: 'Add', name: add, input: [mul, addInit(`${l.name}/shift`, [1, ch, 1, 1], shift)], output: [add] });
        valueOf.set(l.name, add);
        channelsOf.set(l.name, ch);
        break;
      }
      case 'ReLU':
      case 'Activation': {
        if (l.className === 'ReLU' && c.max_value !== undefined && c.max_value !== null) fail(`layer ${l.name} is a capped ReLU`);
        const value = l.className === 'ReLU' ? activation({ ...l, config: { activation: 'relu' } }, inputOf(l)) : activation(l, inputOf(l));
        valueOf.set(l.name, value);
        channelsOf.set(l.name, channelsOf.get(l.inbound[0]?.layer ?? '') ?? 0);
        break;
      }
      case 'MaxPooling2D': {
        const pool = pair(c.pool_size ?? 2, `${l.name}.pool_size`);
        const strides = pair(c.strides ?? pool, `${l.name}.strides`);
        const out = `${l.name}/pool`;
        const pads = c.padding === 'same' ? [str('auto_pad', 'SAME_UPPER')] : c.padding === 'valid' || c.padding === undefined ? [] : fail(`layer ${l.name} has padding ${JSON.stringify(c.padding)}`);
        nodes.push({ opType: 'MaxPool', name: out, input: [inputOf(l)], output: [out], attribute: [ints('kernel_shape', pool), ints('strides', strides), ...pads] });
        valueOf.set(l.name, out);
        channelsOf.set(l.name, channelsOf.get(l.inbound[0]?.layer ?? '') ?? 0);
        break;
      }
      case 'UpSampling2D': {
        const size = pair(c.size ?? 2, `${l.name}.size`);
        const interpolation = c.interpolation ?? 'nearest';
        // tfjs resizes with alignCorners = false and halfPixelCenters = false: ONNX's 'asymmetric' transform.
        const mode =
          interpolation === 'bilinear'
            ? [str('mode', 'linear'), str('coordinate_transformation_mode', 'asymmetric')]
            : interpolation === 'nearest'
              ? [str('mode', 'nearest'), str('coordinate_transformation_mode', 'asymmetric'), str('nearest_mode', 'floor')]
              : fail(`layer ${l.name} has interpolation ${JSON.stringify(interpolation)}`);
        const out = `${l.name}/resize`;
        const scales = addInit(`${l.name}/scales`, [4], new Float32Array([1, 1, size[0], size[1]]));
        parameters -= 4;
        nodes.push({ opType: 'Resize', name: out, input: [inputOf(l), '', scales], output: [out], attribute: mode });
        valueOf.set(l.name, out);
        channelsOf.set(l.name, channelsOf.get(l.inbound[0]?.layer ?? '') ?? 0);
        break;
      }
      case 'Concatenate': {
        const axis = c.axis ?? -1;
        if (axis !== -1 && axis !== 3) fail(`layer ${l.name} concatenates along axis ${JSON.stringify(axis)}, not channels`);
        const out = `${l.name}/concat`;
        nodes.push({ opType: 'Concat', name: out, input: l.inbound.map((_, k) => inputOf(l, k)), output: [out], attribute: [int('axis', 1)] });
        valueOf.set(l.name, out);
        channelsOf.set(l.name, l.inbound.reduce((n, r) => n + (channelsOf.get(r.layer) ?? 0), 0));
        break;
      }
      default:
        fail(`layer ${l.name} is a ${l.className}`);
    }
  }
  const last = outputs[0]!;
  if (!byName.has(last)) fail(`output layer ${last} is not among the layers`);
  const result = valueOf.get(last) ?? fail(`output layer ${last} was not converted`);
  const classes = channelsOf.get(last) ?? 0;
  nodes.push({ opType: 'Transpose', input: [result], output: [ONNX_OUTPUT], name: 'probabilities/nhwc', attribute: [ints('perm', [0, 2, 3, 1])] });

  const dim = (d: string | number): onnxPkg.onnx.TensorShapeProto.IDimension => (typeof d === 'string' ? { dimParam: d } : { dimValue: d });
  const tensorType = (dims: (string | number)[]): onnxPkg.onnx.ITypeProto => ({
    tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map(dim) } },
  });
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: ONNX_META.producer,
    producerVersion: input.producerVersion,
    docString: 'photosieve U-Net: NHWC image in, NHWC per-pixel class probabilities (background, body, boundary) out',
    metadataProps: [{ key: ONNX_META.source, value: input.sourceSha256 }],
    graph: {
      name: 'photosieve_unet',
      node: nodes,
      initializer: initializers,
      input: [{ name: ONNX_INPUT, type: tensorType(['batch', 'height', 'width', inputChannels]) }],
      output: [{ name: ONNX_OUTPUT, type: tensorType(['batch', 'height', 'width', classes]) }],
    },
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), nodes: nodes.length, foldedBatchNorms: folded, parameters };
}

/** Reads the source hash stored in an ONNX file (undefined when the file has none or does not parse). */
export function onnxSourceHash(bytes: Uint8Array): string | undefined {
  try {
    const m = onnx.ModelProto.decode(bytes);
    return m.metadataProps.find((p) => p.key === ONNX_META.source)?.value ?? undefined;
  } catch {
    return undefined;
  }
}
