#!/usr/bin/env node
// `node scripts/track-video.js [--video FILE] [--seconds N] [--out DIR]`
//
// Plays a video through the real pipeline of example 04 (camera -> preprocess -> YOLOX-nano ->
// trigger -> annotate, in node-red's runtime) and reports what the trigger made of it: tracks,
// crossings of its counting line per direction, zone events. The annotated frame of every
// crossing (and of each enter, leave and dwell) is written to DIR, so the counts can be checked
// by eye. Default: the whole sample CCTV video (79.5 s, played at its own speed).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { helper, loadFlow, ourNodes, root } = require('./flow-runner');

// The test assets (models, photos, video), provisioned as npm test does (test/helpers/assets/).
const { assetsDir, ensureProvisioned } = require('../test/helpers/assets/where');
ensureProvisioned();
const assets = assetsDir();
const argument = (name, fallback) => { const at = process.argv.indexOf(name); return at > 0 ? process.argv[at + 1] : fallback; };
const VIDEO = path.resolve(argument('--video', path.join(assets, 'media', 'video', 'vtest_h264.mp4')));
const SECONDS = Number(argument('--seconds', 80));
const OUT = path.resolve(argument('--out', path.join(root, 'track-video')));
/** For a crossing, also the frame this many frames earlier. */
const BEFORE = 8;

process.env.EDGE_AI_MODELS ??= path.join(assets, 'models');
process.env.EDGE_AI_MEDIA ??= path.join(assets, 'media');

async function main() {
  const example = JSON.parse(fs.readFileSync(path.join(root, 'examples', '04 count crossings, MQTT, GPIO and webhook.json'), 'utf8'));
  const byType = (type) => example.find((n) => n.type === type);
  const tab = { id: 't', type: 'tab', label: 'track-video' };
  const flow = [
    tab,
    byType('edge-ai-model'),
    // Played once, at the video's own rate.
    { ...byType('edge-ai-camera'), z: 't', path: VIDEO, loop: false, wires: [['pre']] },
    { ...byType('edge-ai-preprocess'), id: 'pre', z: 't', wires: [['infer']] },
    // Batch: every frame of the video is looked at (the file plays in real time; YOLOX keeps up).
    { ...byType('edge-ai-infer'), id: 'infer', z: 't', mode: 'batch', wires: [['trigger']] },
    { ...byType('edge-ai-trigger'), id: 'trigger', z: 't', wires: [['events'], ['annotate']] },
    { ...byType('edge-ai-annotate'), id: 'annotate', z: 't', wires: [['frames']] },
    { id: 'events', z: 't', type: 'helper' },
    { id: 'frames', z: 't', type: 'helper' },
  ];
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  await loadFlow(ourNodes(['camera', 'preprocess', 'model', 'infer', 'trigger', 'annotate']), flow);

  const events = [];
  const frames = new Map();
  const paths = new Map();
  let background;
  const wanted = new Map();
  let lastSeq = 0;
  helper.getNode('events').on('input', (msg) => {
    events.push({ seq: msg.frame.seq, ...msg.payload });
    if (['cross', 'enter', 'leave', 'dwell'].includes(msg.payload.type)) wanted.set(msg.frame.seq, `${msg.payload.type}-${msg.payload.trackId}`);
  });
  const recent = new Map();
  helper.getNode('frames').on('input', (msg) => {
    lastSeq = msg.frame.seq;
    recent.set(msg.frame.seq, msg.payload);
    recent.delete(msg.frame.seq - BEFORE - 1);
    // The annotated frame comes after the events of its frame: keep those asked for, and for a
    // crossing also the frame from before it, to see which way it went.
    const name = wanted.get(msg.frame.seq);
    const file = (suffix) => path.join(OUT, `${String(msg.frame.seq).padStart(4, '0')}-${name}${suffix}.jpg`);
    if (name) fs.writeFileSync(file(''), msg.payload);
    if (name?.startsWith('cross') && recent.has(msg.frame.seq - BEFORE)) fs.writeFileSync(file('-before'), recent.get(msg.frame.seq - BEFORE));
    frames.set(msg.frame.seq, msg.tracks?.map((t) => t.trackId) ?? []);
    // Where each seen track stood (bottom centre of its box), for the map of all tracks.
    for (const t of msg.tracks ?? []) {
      if (!t.seen) continue;
      if (!paths.has(t.trackId)) paths.set(t.trackId, []);
      paths.get(t.trackId).push([Math.round(t.box.x + t.box.w / 2), Math.round(t.box.y + t.box.h)]);
    }
    if (!background) background = { image: msg.image, lines: msg.lines, zones: msg.zones };
  });
  const started = Date.now();
  let lastCount = -1;
  // Until the video has played (the camera then restarts it: stop at the first repeat).
  while (Date.now() - started < SECONDS * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    if (frames.size === lastCount && frames.size > 0) break;
    lastCount = frames.size;
  }
  await helper.unload();

  const trackIds = new Set([...frames.values()].flat());
  const crosses = events.filter((e) => e.type === 'cross');
  const totals = crosses.length ? crosses[crosses.length - 1].totals : {};
  const summary = {
    video: VIDEO, frames: frames.size, lastSeq, tracks: trackIds.size,
    crossings: totals,
    events: Object.fromEntries(['start', 'end', 'enter', 'leave', 'dwell', 'count', 'cross'].map((t) => [t, events.filter((e) => e.type === t).length])),
  };
  await drawTracks(background, paths, path.join(OUT, 'tracks.png'));
  for (const e of crosses) console.log(`frame ${e.seq}: track ${e.trackId} crossed ${e.line} going ${e.direction} (totals ${JSON.stringify(e.totals)})`);
  console.log(JSON.stringify(summary, null, 2));
  fs.writeFileSync(path.join(OUT, 'events.json'), JSON.stringify({ summary, events }, null, 2));
  console.log(`annotated frames of the events: ${path.relative(process.cwd(), OUT)}/`);
}

/** Every track's path over the first frame, with the zones and lines: the whole video at a glance. */
async function drawTracks(first, paths, file) {
  if (!first) return;
  const sharp = require('sharp');
  const { overlaysFrom, annotationSvg, colourFor } = require('../dist/lib/annotate');
  const { width, height } = await sharp(first.image).metadata();
  const trails = [...paths].filter(([, points]) => points.length > 1).map(([id, points]) => ({ type: 'line', points, stroke: colourFor(id), label: `#${id}` }));
  const svg = annotationSvg([...overlaysFrom(first.zones, first.lines), ...trails], width, height, { lineWidth: 2, fontSize: 11 });
  await sharp(first.image).composite([{ input: Buffer.from(svg) }]).png().toFile(file);
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
