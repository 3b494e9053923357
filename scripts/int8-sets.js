// The calibration and held-out image sets for judging int8 models (the benchmark's int8 section
// and the measurements in the README), cut from the test assets with ffmpeg:
// - calibration: 24 frames of the long sample video (vtest_h264.mp4) between 40 s and 79 s, what
//   a camera would have collected over a while (edge-ai-collect does the same in a flow), and
//   every other asset photo (8 of 17, alphabetically), so both kinds of picture are represented;
// - held out, never seen by calibration: the other 9 photos, and frames of the first 40 s of the
//   three sample videos (10 frames of the 640x480 H.264 clip and 10 of the MJPEG one, both of the
//   first 10 s, at half-second offsets from each other; 90 of the long video from 10 s to 40 s).
// Usage: node scripts/int8-sets.js DIR  (writes DIR/calibration and DIR/held-out, prints counts)
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// The test assets (models, photos, video), provisioned as npm test does (test/helpers/assets/).
const { assetsDir, ensureProvisioned } = require('../test/helpers/assets/where');
ensureProvisioned();
const assets = assetsDir();
const video = (name) => path.join(assets, 'media', 'video', name);

/** Frames of `file` as JPEGs named `prefix%03d.jpg`, `fps` a second from `start` for `seconds`. */
function frames(file, dir, prefix, { start = 0, seconds, fps, offset = 0 }) {
  execFileSync('ffmpeg', ['-loglevel', 'error', '-ss', String(start + offset), ...(seconds ? ['-t', String(seconds)] : []), '-i', file,
    '-vf', `fps=${fps}`, '-q:v', '3', path.join(dir, `${prefix}%03d.jpg`)]);
}

function makeInt8Sets(dir) {
  const calibration = path.join(dir, 'calibration');
  const heldOut = path.join(dir, 'held-out');
  for (const d of [calibration, heldOut]) fs.mkdirSync(d, { recursive: true });
  frames(video('vtest_h264.mp4'), calibration, 'vtest-late-', { start: 40, seconds: 39.5, fps: 24 / 39.5 });
  frames(video('vtest_10s_640x480_h264.mp4'), heldOut, 'vtest640-', { seconds: 10, fps: 1 });
  frames(video('vtest_10s_5fps.mjpeg'), heldOut, 'vtestmjpeg-', { seconds: 10, fps: 1, offset: 0.5 });
  frames(video('vtest_h264.mp4'), heldOut, 'vtest-early-', { start: 10, seconds: 30, fps: 3 });
  const photos = path.join(assets, 'media', 'images');
  const names = fs.readdirSync(photos).filter((f) => /\.(jpe?g|png|bmp)$/i.test(f)).sort();
  names.forEach((photo, i) => fs.copyFileSync(path.join(photos, photo), path.join(i % 2 ? calibration : heldOut, photo)));
  const count = (d) => fs.readdirSync(d).length;
  return { calibration, heldOut, calibrationImages: count(calibration), heldOutImages: count(heldOut) };
}

module.exports = { makeInt8Sets };

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: node scripts/int8-sets.js DIR');
  console.log(JSON.stringify(makeInt8Sets(dir)));
}
