// Imported first by every node file, before anything that loads a native module: on a platform
// onnxruntime-node has no build for, loading the node fails with one line saying what is supported.
import { assertSupportedPlatform } from './lib/platform';

assertSupportedPlatform();
