// aggregate: particle measures, distributions and metrics. For now: instance matching.
export * from './matchInstances.js';
