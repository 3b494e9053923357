#!/usr/bin/env node
'use strict';
// Model tools (int8 quantization, input size): see `edge-ai-model --help`.
const { main } = require('../dist/lib/tools');

main(process.argv.slice(2)).catch((err) => {
  console.error(err.message);
  process.exit(1);
});
