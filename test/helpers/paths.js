'use strict';
// Where the tests find the project and the test assets (provisioned by scripts/test-assets.js
// into EDGE_AI_TEST_ASSETS; see test/helpers/assets/).
const path = require('node:path');
const { assetsDir } = require('./assets/where');

const root = path.resolve(__dirname, '..', '..');
const assets = assetsDir();
const dist = path.join(root, 'dist');

module.exports = {
  root,
  dist,
  assets,
  models: path.join(assets, 'models'),
  images: path.join(assets, 'media', 'images'),
};
