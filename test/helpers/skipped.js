'use strict';
// The tests skipped because an asset or a program is missing: whole files (environment.js) and
// single tests that read an asset named only in data, such as a golden file's list
// (skipWithout), for the reporter's closing lines.
const fs = require('node:fs');
const path = require('node:path');

const skipped = [];

/** Inside a test: skip it, counted and named, unless every file of `files` is there. */
function skipWithout(context, ...files) {
  const missing = files.filter((f) => !fs.existsSync(f));
  if (!missing.length) return;
  const root = path.resolve(__dirname, '..', '..');
  skipped.push({ file: path.relative(root, context.test.file), tests: 1, reasons: missing.map((f) => path.basename(f)) });
  context.skip();
}

module.exports = { skipped, skipWithout };
