// How a scale-band pyramid hands on what coarser levels call `large` (MultiscaleOptions.inheritLarge). Kept apart
// from multiscale.ts, which loads the inference stack, so the CLI can name the modes cheaply.

/** 'confirmed': only where the next coarser level outlines a particle; 'all': every coarser `large`; 'off': none. */
export type LargeInheritance = 'confirmed' | 'all' | 'off';
export const LARGE_INHERITANCE: readonly LargeInheritance[] = Object.freeze(['confirmed', 'all', 'off']);
export const DEFAULT_LARGE_INHERITANCE: LargeInheritance = 'confirmed';
