'use strict';
/** Photos of media/images and MobileNetV2's known top-1 ImageNet class for each (../shared/assets/README.md). */
const IMAGENET_PHOTOS = {
  'grace_hopper.bmp': 'military uniform',
  'hot_dog.jpg': 'hotdog',
  'parrot.jpg': 'macaw',
  'orange.jpg': 'orange',
  'cat.bmp': 'Egyptian cat',
};

module.exports = { IMAGENET_PHOTOS };
