#!/usr/bin/env node
'use strict';
// Model tools (int8 quantization, input size, TFLite) and the health probe: see `edge-ai-model --help`.
const args = process.argv.slice(2);

if (args[0] === 'health') {
  // Only the health module, not the model tools: a health check runs often and must start fast.
  const { probe, probeOptions } = require('../dist/lib/health');
  let options;
  try {
    options = probeOptions(args.slice(1), process.env);
  } catch (err) {
    console.error(err.message);
    process.exit(2);
  }
  probe(options).then(({ exitCode, line }) => {
    (exitCode === 0 ? console.log : console.error)(line);
    process.exit(exitCode);
  });
} else {
  const { main } = require('../dist/lib/tools');
  main(args).catch((err) => {
    console.error(err.message);
    // 3: the model was written but failed its shadow check; 1: nothing was written.
    process.exit(err.exitCode ?? 1);
  });
}
