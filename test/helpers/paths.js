'use strict';
const path = require('node:path');
const fs = require('node:fs');

const root = path.resolve(__dirname, '..', '..');
const assets = path.resolve(root, '..', 'shared', 'assets');
const dist = path.join(root, 'dist');

if (!fs.existsSync(assets)) {
  throw new Error(`Test assets not found at ${assets}: the tests need ../shared/assets beside the project`);
}

/** Photos of media/images and MobileNetV2's known top-1 ImageNet class for each (../shared/assets/README.md). */
const IMAGENET_PHOTOS = {
  'grace_hopper.bmp': 'military uniform',
  'hot_dog.jpg': 'hotdog',
  'parrot.jpg': 'macaw',
  'orange.jpg': 'orange',
  'cat.bmp': 'Egyptian cat',
};

module.exports = {
  IMAGENET_PHOTOS,
  root,
  dist,
  assets,
  models: path.join(assets, 'models'),
  images: path.join(assets, 'media', 'images'),
};
