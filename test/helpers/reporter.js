'use strict';
// Mocha's spec output plus closing lines: what was skipped for missing assets or programs (by
// file, with what each lacks), then one plain line, "N passed, N failed, N skipped", that CI
// tools read whatever the test runner.
const Mocha = require('mocha');
const { skipped } = require('./skipped');

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats;
      const byFile = new Map();
      for (const s of skipped) {
        const seen = byFile.get(s.file) ?? { tests: 0, reasons: new Set() };
        seen.tests += s.tests;
        s.reasons.forEach((r) => seen.reasons.add(r));
        byFile.set(s.file, seen);
      }
      const forMissing = [...byFile.values()].reduce((sum, s) => sum + s.tests, 0);
      const named = [...byFile].map(([file, s]) => `${file} (${s.tests}, needs ${[...s.reasons].join(', ')})`);
      process.stdout.write(`\n${passes + failures} tests ran; ${forMissing} skipped for missing assets or programs${named.length ? `: ${named.join('; ')}; node scripts/test-assets.js says how to get them` : ''}\n`);
      process.stdout.write(`${passes} passed, ${failures} failed, ${pending} skipped\n`);
    });
  }
}

module.exports = SpecWithSummary;
