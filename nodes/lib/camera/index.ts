// Frame sources and their supervision: the test pattern, files and folders, snapshots, and
// captures pushed by ffmpeg, the Pi camera app or an MJPEG server, restarted by frame age.
export * from './capture-config';
export * from './ffmpeg';
export * from './gate';
export * from './http';
export * from './jpeg-stream';
export * from './mjpeg';
export * from './pacer';
export * from './raw-stream';
export * from './sources';
export * from './streams';
export * from './supervisor';
export * from './untrusted';
export * from './camera';
