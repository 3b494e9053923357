'use strict';
const path = require('node:path');
const fs = require('node:fs');

const root = path.resolve(__dirname, '..', '..');
const assets = path.resolve(root, '..', 'shared', 'assets');
const dist = path.join(root, 'dist');

if (!fs.existsSync(assets)) {
  throw new Error(`Test assets not found at ${assets}: the tests need ../shared/assets beside the project`);
}

module.exports = {
  root,
  dist,
  assets,
  models: path.join(assets, 'models'),
  images: path.join(assets, 'media', 'images'),
};
