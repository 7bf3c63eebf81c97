import { describe, expect, it } from 'vitest';
import { makeClassMask, parseRoi, roiMask } from '../../src/annotate/index.js';
import { errorLineOf } from '../helpers/errors.js';
import { grid, rows } from '../helpers/grid.js';

describe('3-class target', () => {
  it('draws a 1 px band inside a lone particle, none at the image frame', () => {
    const map = grid(['......', '.1111.', '.1111.', '.1111.', '.1111.', '......']);
    const mask = makeClassMask(map, { boundaryPx: 1 });
    expect(rows(mask)).toEqual(['......', '.2222.', '.2112.', '.2112.', '.2222.', '......']);
  });

  it('draws the band on both sides where two particles touch (twice as wide between them)', () => {
    const map = grid(['11112222', '11112222', '11112222']);
    const mask = makeClassMask(map, { boundaryPx: 2 });
    // No band along the image frame; 2 px on each side of the contact line.
    expect(rows(mask)).toEqual(['11222211', '11222211', '11222211']);
  });

  it('uses Euclidean distance: diagonal neighbours within 2 px count, (2,1) offsets do not', () => {
    const map = grid(['.......', '.11111.', '.11111.', '.11111.', '.11111.', '.11111.', '.......']);
    const mask = makeClassMask(map, { boundaryPx: 2 });
    expect(rows(mask)).toEqual(['.......', '.22222.', '.22222.', '.22122.', '.22222.', '.22222.', '.......']);
  });

  it('marks pixels outside the ROI as ignore (255) and keeps the band off the ROI cut', () => {
    const map = grid(['1111', '1111', '1111', '1111']);
    const valid = roiMask(parseRoi('polygon:0,0,2,0,2,4,0,4'), 4, 4)!;
    const mask = makeClassMask(map, { boundaryPx: 1, valid });
    expect(rows(mask)).toEqual(['11xx', '11xx', '11xx', '11xx']);
  });

  it('boundaryPx 0 gives body only', () => {
    const mask = makeClassMask(grid(['11', '12']), { boundaryPx: 0 });
    expect(rows(mask)).toEqual(['11', '11']);
  });

  it('rejects a negative band width with a message naming the parameter', () => {
    expect(() => makeClassMask(grid(['1']), { boundaryPx: -1 })).toThrow(/boundaryPx must be a number from 0 to 64, received -1/);
  });
});

describe('region of interest', () => {
  it('inscribed circle by pixel centres', () => {
    const m = roiMask(parseRoi('circle'), 6, 6)!;
    expect(rows({ width: 6, height: 6, data: m })).toEqual(['.1111.', '111111', '111111', '111111', '111111', '.1111.']);
  });

  it('circle with centre and radius', () => {
    const m = roiMask(parseRoi('circle:2,2,1'), 5, 5)!;
    expect(rows({ width: 5, height: 5, data: m })).toEqual(['.....', '.11..', '.11..', '.....', '.....']);
  });

  it('rejects malformed specs with the accepted forms', async () => {
    expect(await errorLineOf(() => parseRoi('circle:1,2'))).toMatch(/not a region of interest.*Fix: .*circle:CX,CY,R/);
    expect(await errorLineOf(() => parseRoi('polygon:1,a,3,4,5,6'))).toMatch(/not a number/);
    expect(await errorLineOf(() => parseRoi('square'))).toMatch(/not a region of interest/);
    expect(parseRoi('none')).toEqual({ kind: 'none' });
  });
});
