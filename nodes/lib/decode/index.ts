// Model outputs made into results: top classes, and detections in source pixels from every
// detector layout the model doctor knows (YOLO, YOLOX, SSD-style, TF detection, faces, pose).
export * from './results';
export * from './classification';
export * from './yolo';
export * from './yolox';
export * from './boxes-scores';
export * from './end-to-end';
export * from './tf-detection';
export * from './yunet';
export * from './blazeface';
export * from './movenet';
export * from './keypoints';
export * from './nms';
export * from './detectors';
export * from './summary';
