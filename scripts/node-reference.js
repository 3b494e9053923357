#!/usr/bin/env node
// docs/nodes.md, the reference of every node's properties, written from what the editor itself
// uses: the node definitions (names and defaults, scripts/node-definitions.js), the dialogs'
// choice lists (the <option> values of each field), and the English catalog (each field's label,
// tip and the message that refuses a bad value), and the model catalogue's ids (dist/, so build
// first). For writing flows by hand or through the admin API without copying names out of an example.
//   node scripts/node-reference.js          rewrite docs/nodes.md
//   node scripts/node-reference.js --check  only say whether docs/nodes.md is out of date (exit code 1)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { nodeDefinitions } = require('./node-definitions');

const root = path.resolve(__dirname, '..');
const OUT = path.join(root, 'docs', 'nodes.md');

const catalogOf = (type) => JSON.parse(fs.readFileSync(path.join(root, 'locales', 'en-US', `${type}.json`), 'utf8'))[type];
const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
const code = (value) => `\`${JSON.stringify(value)}\``;
/** The text of a catalog key such as "edge-ai-camera.option.file" (other types' keys too). */
function catalogText(key) {
  const [type, ...rest] = key.split('.');
  let at = catalogOf(type);
  for (const part of rest) at = at?.[part];
  return typeof at === 'string' ? at : '';
}

/** The choices of each <select> field of a type's dialog: {property: [[value, label], ...]}. */
function choices(type) {
  const html = fs.readFileSync(path.join(root, 'nodes', `${type}.html`), 'utf8');
  const out = {};
  for (const [, prop, body] of html.matchAll(/<select id="node-(?:config-)?input-(\w+)"[^>]*>([\s\S]*?)<\/select>/g)) {
    out[prop] = [...body.matchAll(/<option value="([^"]*)"(?:[^>]*data-i18n="([^"]+)")?[^>]*>([^<]*)</g)]
      .map(([, value, key, text]) => [value, key ? catalogText(key) : text.trim()]);
  }
  return out;
}

/** The catalog entries that name a property: label, tip, the refusal message. */
function words(catalog, prop) {
  const pick = (group) => {
    const value = catalog[group]?.[prop];
    return typeof value === 'string' ? value : '';
  };
  return { label: pick('label'), tip: pick('tip'), valid: pick('validation') };
}

function reference() {
  const lines = [
    '# Node properties',
    '',
    'Every property of every node this package adds, as a flow file (or the admin API\'s `POST /flows`)',
    'holds it: its name, its default, the values a choice takes, what the dialog calls it and says of',
    'it. A property left out of a flow takes its default. Written by `node scripts/node-reference.js`',
    'from the node definitions, the dialogs and the English catalog; a test fails when it is out of date.',
    '',
  ];
  for (const [type, definition] of Object.entries(nodeDefinitions())) {
    const catalog = catalogOf(type);
    const config = definition.category === 'config';
    const selects = choices(type);
    lines.push(`## ${type}`, '', `${config ? 'Configuration node' : `In the palette as *${catalog.paletteLabel}*, ${definition.inputs ?? 0} input, ${definition.outputs ?? 0} output${definition.outputs === 1 ? '' : 's'}`}.`, '');
    lines.push('| property | default | values | in the dialog |', '|---|---|---|---|');
    for (const [prop, spec] of Object.entries(definition.defaults)) {
      const { label, tip, valid } = words(catalog, prop);
      const values = (selects[prop] ?? []).map(([value, text]) => `${code(value)}${text ? ` ${text}` : ''}`).join('; ');
      const said = [label && `**${label}**`, tip, valid && `Refused: ${valid}.`].filter(Boolean).join(' ').replace(/\.\./g, '.');
      lines.push(`| \`${prop}\` | ${code(spec.value ?? '')} | ${cell(values)} | ${cell(said)} |`);
    }
    if (type === 'edge-ai-model') {
      // The catalogue's ids, the values of `catalogue` (listed by the dialog from the engine).
      const { CATALOGUE } = require(path.join(root, 'dist', 'lib', 'catalogue'));
      lines.push('', '`catalogue` takes one of these ids (with `source` `"catalogue"`):', '', '| id | model | licence |', '|---|---|---|');
      for (const entry of CATALOGUE) lines.push(`| \`${entry.id}\` | ${cell(entry.title)} | ${cell(entry.licence)} |`);
    }
    const credentials = Object.entries(definition.credentials ?? {});
    if (credentials.length) {
      lines.push('', `Credentials (kept apart from the flow, in Node-RED's credentials file): ${credentials.map(([name, c]) => `\`${name}\` (${c.type})`).join(', ')}.`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

module.exports = { reference };

if (require.main === module) {
  const text = reference();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
    if (current !== text) {
      console.error('docs/nodes.md is out of date: node scripts/node-reference.js');
      process.exit(1);
    }
    console.log('docs/nodes.md up to date');
  } else {
    fs.writeFileSync(OUT, text);
    console.log(`wrote ${path.relative(root, OUT)}`);
  }
}
