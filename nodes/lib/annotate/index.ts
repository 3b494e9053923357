// Drawing results onto frames: boxes, labels, keypoints, zones and lines as SVG over the image.
export * from './draw';
