#!/usr/bin/env node
// The tests and scripts (JavaScript) checked against the engine's declarations in dist/ by
// TypeScript's checker, so that renaming or removing something of the engine they use breaks the
// test run at once. Reported: what means the engine moved (an export, a member of one of its
// types, or an argument count that no longer exists). Not reported: what JavaScript's loose
// typing gives anyway (values of unknown type, literals widened to string).
'use strict';
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
/** Diagnostics that mean an API moved: no exported member (2305, 2614, 2724), no such property (2339, 2551), wrong argument count (2554, 2555). */
const API_CODES = new Set([2305, 2614, 2724, 2339, 2551, 2554, 2555]);
/** Properties read off values JavaScript cannot type say nothing about the engine. */
const UNTYPED = /on type '(unknown|\{\}|never|string|number)'/;

function engineDiagnostics() {
  const configFile = path.join(root, 'tsconfig.check.json');
  const config = ts.readConfigFile(configFile, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  return ts.getPreEmitDiagnostics(program).filter((d) => {
    if (!API_CODES.has(d.code)) return false;
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    return !UNTYPED.test(text);
  });
}

module.exports = { engineDiagnostics };

if (require.main === module) {
  const found = engineDiagnostics();
  for (const d of found) {
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    console.error(`${path.relative(root, d.file.fileName)}:${line + 1}:${character + 1} TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  }
  if (found.length) process.exit(1);
  console.log('tests and scripts match the engine\'s declarations');
}
