'use strict';
// Guard rails for the layout of the code: the engine (nodes/lib) never reaches Node-RED or the
// adapters, the ONNX wire format knows nothing of models being run, the runtime never loads the
// model tools, folders are entered through their index, nothing imports in a circle, tests and
// scripts use the engine's entry points, and every engine file says what it is for.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');
const { root } = require('../helpers/paths');

const nodesDir = path.join(root, 'nodes');
const libDir = path.join(nodesDir, 'lib');

function sourceFiles(dir, ext) {
  return fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith(ext)).map((f) => path.join(dir, f));
}

/** Every import of a TypeScript file (type-only ones too), resolved to a file where it is relative. */
function importsOf(file) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found = [];
  const add = (specifier) => {
    if (!specifier.startsWith('.')) return found.push({ specifier });
    const base = path.resolve(path.dirname(file), specifier);
    const target = [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
    assert.ok(target, `${path.relative(root, file)}: cannot resolve ${specifier}`);
    found.push({ specifier, target });
  };
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text);
    if (ts.isCallExpression(node) && node.expression.getText() === 'require' && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) add(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = sourceFiles(nodesDir, '.ts');
const imports = new Map(files.map((f) => [f, importsOf(f)]));
const rel = (f) => path.relative(root, f);
/** The engine folder of a file in nodes/lib ('model', 'onnx', …), '' for nodes/lib's own files, undefined outside. */
const folderOf = (f) => (f.startsWith(libDir + path.sep) ? path.relative(libDir, f).split(path.sep).slice(0, -1)[0] ?? '' : undefined);

/** Every (file, import) pair matching `bad`, as readable lines. */
function offending(filter, bad) {
  return [...imports].filter(([f]) => filter(f)).flatMap(([f, list]) => list.filter((i) => bad(i, f)).map((i) => `${rel(f)} -> ${i.specifier}`));
}

describe('the layout of the code', () => {
  it('the engine imports neither Node-RED nor the adapters', () => {
    const inLib = (f) => folderOf(f) !== undefined;
    assert.deepEqual(offending(inLib, (i) => /^(node-red|@node-red\/)/.test(i.specifier) || (i.target && folderOf(i.target) === undefined)), []);
  });

  it('onnx/ is the wire format only: it imports no other engine folder', () => {
    assert.deepEqual(offending((f) => folderOf(f) === 'onnx', (i) => i.target && !['onnx', ''].includes(folderOf(i.target)) ), []);
    assert.deepEqual(offending((f) => folderOf(f) === 'onnx', (i) => i.target && folderOf(i.target) === '' && !/types\.ts$/.test(i.target)), []);
  });

  it('the runtime never imports the model tools', () => {
    assert.deepEqual(offending((f) => folderOf(f) !== 'tools', (i) => i.target && folderOf(i.target) === 'tools'), []);
  });

  it('a folder is entered through its index from outside', () => {
    assert.deepEqual(offending(() => true, (i, f) => {
      if (!i.target || folderOf(i.target) === undefined || folderOf(i.target) === '') return false;
      return folderOf(i.target) !== folderOf(f) && path.basename(i.target) !== 'index.ts';
    }), []);
  });

  it('nothing imports in a circle', () => {
    // Strongly connected components of the import graph (Tarjan): any with two files is a circle.
    let counter = 0;
    const index = new Map();
    const low = new Map();
    const stack = [];
    const circles = [];
    const connect = (file) => {
      index.set(file, counter);
      low.set(file, counter++);
      stack.push(file);
      for (const { target } of imports.get(file) ?? []) {
        if (!target) continue;
        if (!index.has(target)) {
          connect(target);
          low.set(file, Math.min(low.get(file), low.get(target)));
        } else if (stack.includes(target)) low.set(file, Math.min(low.get(file), index.get(target)));
      }
      if (low.get(file) === index.get(file)) {
        const component = [];
        let member;
        do {
          member = stack.pop();
          component.push(rel(member));
        } while (member !== file);
        if (component.length > 1) circles.push(component.sort().join(' <-> '));
      }
    };
    for (const file of files) if (!index.has(file)) connect(file);
    assert.deepEqual(circles, []);
  });

  it('tests and scripts reach the engine through its entry points only', () => {
    const users = [...sourceFiles(path.join(root, 'test'), '.js'), ...sourceFiles(path.join(root, 'scripts'), '.js'), ...sourceFiles(path.join(root, 'bin'), '.js')];
    const deep = users.flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/dist\/lib\/[a-z-]+\/[a-z-]+/g)].map((m) => `${rel(f)}: ${m[0]}`));
    assert.deepEqual(deep, []);
  });

  it('every engine file opens with a line on what it is for', () => {
    const silent = files.filter((f) => folderOf(f) !== undefined && !/^\/\/ \S/.test(fs.readFileSync(f, 'utf8'))).map(rel);
    assert.deepEqual(silent, []);
  });
});
