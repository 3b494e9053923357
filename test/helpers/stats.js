'use strict';
// Small statistics and a repeatable random sequence, shared by tests and scripts.

/** Least-squares slope of y over x for [x, y] points: one high or low reading does not decide it. */
function slope(points) {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxy / sxx;
}

/** The value below which `fraction` (0..1) of `values` lie. */
const percentile = (values, fraction) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * fraction))];

/** A repeatable pseudo-random sequence in [0, 1) (a linear congruential generator): the same corpus every run. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

module.exports = { slope, percentile, random };
