'use strict';
// The editor as a user meets it, in Debian's Chromium (headless) driven by playwright-core,
// against a real Node-RED started the way `npm start` starts it (without the demo flows): the
// palette, every dialog (a bad value is refused with its message, a good one saved), the help,
// every example imported from the menu and deployed until its nodes show a non-error status,
// the live preview, and drawing a zone. Screenshots go to test-output/screenshots/ (and to
// $EDGE_AI_SCREENSHOTS, e.g. docs/images, when set).
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const sharp = require('sharp');
const { root, assets } = require('../helpers/paths');
const { startServer } = require('../helpers/server');
const { startMosquitto } = require('../helpers/mosquitto');
const { delay } = require('../helpers/wait');

/** Poll an async condition until it holds; fail naming `what` after `timeoutMs`. */
async function eventually(predicate, what, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(250);
  }
}

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(root, 'test-output', 'screenshots');
const EXAMPLES = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json')).sort().map((f) => path.basename(f, '.json'));
const FLOW_TYPES = ['edge-ai-camera', 'edge-ai-preprocess', 'edge-ai-infer', 'edge-ai-trigger', 'edge-ai-annotate', 'edge-ai-collect', 'edge-ai-model-update'];

/** Per node type: a field with a validator, a value it refuses (and the message), one it takes. */
const DIALOGS = {
  'edge-ai-camera': { field: 'fps', bad: '0', message: /The rate must be more than 0/, good: '7', settings: { mode: 'continuous' } },
  'edge-ai-preprocess': { field: 'padValue', bad: '300', message: /Padding must be a whole number from 0 to 255/, good: '0', settings: { settings: 'manual' } },
  // With a classifier (the model of these dialogs) the infer dialog shows the classification settings.
  'edge-ai-infer': { field: 'topK', bad: '0', message: /The number of classes must be a whole number from 1 to 100/, good: '3' },
  'edge-ai-trigger': { field: 'minScore', bad: '2', message: /Min. score must be a number from 0 to 1/, good: '0.6' },
  'edge-ai-annotate': { field: 'quality', bad: '500', message: /JPEG quality must be a whole number from 1 to 100/, good: '70' },
  'edge-ai-collect': { field: 'count', bad: '0', message: /Keep must be a whole number of frames from 1 to 10000/, good: '32' },
  'edge-ai-model-update': { field: 'maxMegabytes', bad: '0', message: /a number of megabytes from 0.001 to 4096/, good: '50' },
  'edge-ai-model': { field: 'threads', bad: '99', message: /Threads must be a whole number from 1 to 16/, good: '2', config: true },
};

describe('the editor in a real browser', function () {
  this.timeout(600000);
  let server;
  let browser;
  let page;
  let publisher;
  let broker;
  const pageErrors = [];

  const shot = async (name, locator, clip) => {
    const target = locator ?? page;
    fs.mkdirSync(SHOTS, { recursive: true });
    const file = path.join(SHOTS, `${name}.png`);
    await target.screenshot({ path: file, clip });
    if (process.env.EDGE_AI_SCREENSHOTS) {
      // For the README: a palette PNG, a third of the size.
      fs.mkdirSync(process.env.EDGE_AI_SCREENSHOTS, { recursive: true });
      await sharp(file).png({ palette: true, effort: 8 }).toFile(path.join(process.env.EDGE_AI_SCREENSHOTS, `${name}.png`));
    }
  };

  /** Node-RED's editor API, from the page. */
  const red = (fn, arg) => page.evaluate(fn, arg);

  before(async () => {
    // Example 03's network camera: the sample video sent to its UDP port, as its comment says.
    publisher = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-stream_loop', '-1',
      '-i', path.join(assets, 'media', 'video', 'vtest_10s_640x480_h264.mp4'), '-f', 'mpegts', 'udp://127.0.0.1:5000'], { stdio: 'ignore' });
    // Example 04's MQTT broker.
    broker = await startMosquitto();
    process.env.EDGE_AI_MODEL_CACHE ??= fs.mkdtempSync(path.join(os.tmpdir(), 'edge-ai-test-cache-'));
    server = await startServer({ demo: false, env: { EDGE_AI_MODEL_CACHE: process.env.EDGE_AI_MODEL_CACHE } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    await page.goto(server.base);
    await page.waitForFunction((count) => window.RED && RED.nodes && $('#red-ui-palette-container-edge_AI .red-ui-palette-node').length === count, FLOW_TYPES.length, { timeout: 60000 });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    publisher?.kill('SIGKILL');
    await broker?.stop();
  });

  afterEach(async () => {
    // Leave no dialog open for the next test (one that is closing gets the time to close).
    for (let i = 0; i < 5 && await page.evaluate(() => RED.editor.getEditStack().length); i++) {
      await delay(500);
      await page.locator('#node-config-dialog-cancel, #node-dialog-cancel').first().click({ timeout: 2000 }).catch(() => {});
    }
  });

  it('shows every node in the palette under "edge AI", with its label and icon', async () => {
    const category = page.locator('#red-ui-palette-container-edge_AI');
    const types = await category.locator('.red-ui-palette-node').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-palette-type')));
    assert.deepEqual(types, FLOW_TYPES);
    const header = await page.locator('#red-ui-palette-header-edge_AI').innerText();
    assert.match(header, /edge AI/);
    const labels = await category.locator('.red-ui-palette-label').allInnerTexts();
    assert.deepEqual(labels.map((l) => l.replace(/\s+/g, ' ').trim()), ['camera', 'preprocess', 'infer', 'event trigger', 'annotate', 'collect', 'model update']);
    const icons = await category.locator('.red-ui-palette-icon').evaluateAll((nodes) => nodes.map((n) => getComputedStyle(n).backgroundImage));
    assert.ok(icons.every((i) => /edge-ai-[\w-]+\.svg/.test(i)), icons.join(' '));
    await shot('palette', page.locator('#red-ui-palette-container-edge_AI'));
  });

  for (const [type, spec] of Object.entries(DIALOGS)) {
    it(`the ${type} dialog refuses a bad value with its message and saves a good one`, async () => {
      const prefix = spec.config ? 'node-config-input' : 'node-input';
      // A fresh node with its defaults, as dropped from the palette, using a model node where it needs one.
      const { id, modelId } = await red(({ type, settings, config, modelPath }) => {
        const tab = RED.nodes.getWorkspaceOrder()[0];
        const fresh = (t, extra) => {
          const node = { id: RED.nodes.id(), type: t, wires: [] };
          const defaults = RED.nodes.getType(t).defaults;
          for (const key of Object.keys(defaults)) node[key] = JSON.parse(JSON.stringify(defaults[key].value));
          return Object.assign(node, extra);
        };
        const model = fresh('edge-ai-model', { path: modelPath });
        const node = config ? model : fresh(type, { z: tab, x: 200, y: 200, model: model.id, ...settings });
        RED.view.importNodes(config ? [model] : [model, node], { generateIds: false, addFlow: false });
        const added = RED.nodes.node(node.id);
        if (config) RED.editor.editConfig('', type, added.id, 'node-input');
        else RED.editor.edit(added);
        return { id: added.id, modelId: model.id };
      }, { type, settings: spec.settings ?? {}, config: !!spec.config, modelPath: '${EDGE_AI_MODELS}/classification/mobilenet_v2_224_int8_qdq.onnx' });
      const input = page.locator(`#${prefix}-${spec.field}`);
      await input.waitFor({ state: 'visible' });
      await input.fill(spec.bad);
      await input.dispatchEvent('change');
      assert.ok(await input.evaluate((el) => el.classList.contains('input-error')), 'marked invalid');
      // The message shows when the pointer rests on the field (once the dialog has slid in).
      const message = page.locator('.red-ui-popover').filter({ hasText: spec.message });
      for (let attempt = 0; attempt < 5 && !(await message.isVisible()); attempt++) {
        await page.mouse.move(10, 10);
        await input.hover();
        await message.waitFor({ state: 'visible', timeout: 2000 }).catch(() => {});
      }
      assert.ok(await message.isVisible(), `the message ${spec.message} shows`);
      await shot(`dialog-${type}`);
      await input.fill(spec.good);
      await input.dispatchEvent('change');
      assert.ok(!(await input.evaluate((el) => el.classList.contains('input-error'))), 'valid again');
      await page.click(spec.config ? '#node-config-dialog-ok' : '#node-dialog-ok');
      await page.waitForFunction(() => !RED.editor.getEditStack().length);
      const saved = await red(({ id, field }) => { const n = RED.nodes.node(id); return { value: n[field], valid: n.valid }; }, { id, field: spec.field });
      assert.deepEqual([String(saved.value), saved.valid], [spec.good, true]);
      // Gone again, with the model node made for it.
      await red((ids) => {
        for (const each of new Set(ids)) RED.nodes.remove(each);
        RED.view.redraw(true);
      }, [id, modelId]);
    });
  }

  it('the help panel shows each node\'s help, with its message properties', async () => {
    for (const type of [...FLOW_TYPES, 'edge-ai-model']) {
      await red((type) => RED.sidebar.help.show(type), type);
      const help = page.locator('.red-ui-help').filter({ has: page.locator('h3') }).first();
      await help.locator('h3').first().waitFor({ state: 'visible' });
      const text = await help.innerText();
      assert.ok(/Inputs|Properties|Details/.test(text), `${type}: ${text.slice(0, 80)}`);
      if (type !== 'edge-ai-model') assert.match(text, /payload/, type);
    }
    await shot('help-trigger', page.locator('#red-ui-sidebar'));
  });

  /** Imported nodes follow the pointer until a click on the canvas puts them down. */
  async function dropImported() {
    for (let i = 0; i < 10 && await red(() => RED.view.state() === RED.state.IMPORT_DRAGGING); i++) {
      // Near the canvas' top left, so the whole flow is in view.
      await page.mouse.move(260 + i * 10, 130);
      await page.mouse.down();
      await page.mouse.up();
      await delay(200);
    }
  }

  /**
   * What overlaps on a tab as the editor draws it now: a node's status over another node, another
   * status or a wire; nodes over each other; a node cut off at the canvas's top or left edge.
   */
  const layoutProblems = (tab) => red((tab) => {
    const rect = (el) => { const r = el.getBoundingClientRect(); return { left: r.left, top: r.top, right: r.right, bottom: r.bottom }; };
    const meet = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    const problems = [];
    const drawn = [];
    RED.nodes.eachNode((n) => {
      if (n.z !== tab) return;
      const group = document.getElementById(n.id);
      const body = group?.querySelector('.red-ui-flow-node');
      if (!body) return;
      const label = n.name || n.type;
      if (n.x - n.w / 2 < 0 || n.y - n.h / 2 < 0) problems.push(`"${label}" is cut off at the canvas's edge (x ${n.x}, width ${n.w})`);
      const text = group.querySelector('.red-ui-flow-node-status-label');
      const status = text && text.textContent && text.getBBox().width > 0 ? rect(group.querySelector('.red-ui-flow-node-status-group')) : undefined;
      drawn.push({ label, body: rect(body), status, text: text?.textContent });
    });
    drawn.forEach((a, i) => drawn.forEach((b, j) => {
      if (i < j && meet(a.body, b.body)) problems.push(`"${a.label}" and "${b.label}" overlap`);
      if (i === j || !a.status) return;
      if (meet(a.status, b.body)) problems.push(`the status of "${a.label}" ("${a.text}") runs into "${b.label}"`);
      if (i < j && b.status && meet(a.status, b.status)) problems.push(`the statuses of "${a.label}" and "${b.label}" overlap`);
    }));
    // Wires: points along each one, in page pixels.
    for (const wire of document.querySelectorAll('#red-ui-workspace-chart path.red-ui-flow-link-line')) {
      const length = wire.getTotalLength();
      const matrix = wire.getScreenCTM();
      if (!length || !matrix) continue;
      const points = [];
      for (let at = 0; at <= length; at += 4) points.push(wire.getPointAtLength(at).matrixTransform(matrix));
      for (const d of drawn) {
        if (d.status && points.some((p) => p.x > d.status.left && p.x < d.status.right && p.y > d.status.top && p.y < d.status.bottom)) {
          problems.push(`a wire runs under the status of "${d.label}" ("${d.text}")`);
        }
      }
    }
    return [...new Set(problems)];
  }, tab);

  for (const example of EXAMPLES) {
    it(`imports "${example}" from the menu, deploys it, and its nodes reach a non-error status`, async () => {
      // Menu -> Import -> Examples -> our package -> the example, into a new flow.
      await page.click('#red-ui-header-button-sidemenu');
      await page.click('#menu-item-import');
      const dialog = page.locator('#red-ui-clipboard-dialog');
      await dialog.getByText('Examples', { exact: true }).first().click();
      const entry = dialog.getByText(example, { exact: true });
      // The package's folder stays open after the first import.
      if (!(await entry.isVisible())) await dialog.getByText('@edgeflow/node-red-edge-ai', { exact: true }).click();
      await entry.click();
      // Selecting the example fetches its flow, which enables Import; a click that came before
      // the list was ready selects nothing (seen once on a loaded CI machine): select it again.
      const importEnabled = () => page.waitForFunction(() => !document.querySelector('#red-ui-clipboard-dialog-ok')?.hasAttribute('disabled'), null, { timeout: 10000 }).then(() => true, () => false);
      for (let attempt = 1; attempt < 3 && !(await importEnabled()); attempt++) await entry.click();
      await dialog.locator('#red-ui-clipboard-dialog-import-opt-new').click();
      await page.click('#red-ui-clipboard-dialog-ok');
      await page.waitForFunction(() => RED.view.state() === RED.state.IMPORT_DRAGGING);
      await dropImported();
      const tab = await red(() => RED.workspaces.active());
      if (example.startsWith('04')) {
        // The broker of this run listens on its own port: set it the way a user would, in the config node.
        await red((port) => { RED.nodes.eachConfig((n) => { if (n.type === 'mqtt-broker') { n.port = String(port); n.changed = true; } }); }, broker.port);
      }
      await page.click('#red-ui-header-button-deploy');
      // Deployed at once: no "nodes that are not properly configured" to confirm first.
      await page.waitForFunction(() => !RED.nodes.dirty() || /not properly configured/.test($('.red-ui-notification').text()), null, { timeout: 30000 });
      const warning = await red(() => (RED.nodes.dirty() ? $('.red-ui-notification').text() : ''));
      assert.equal(warning, '', `the example deploys without warnings: ${warning}`);
      // Every node of the example that shows a status ends up without a red one; ours all show one.
      const statuses = async () => red((tab) => {
        const out = [];
        RED.nodes.eachNode((n) => { if (n.z === tab && n.type !== 'comment') out.push({ type: n.type, name: n.name, status: n.status }); });
        return out;
      }, tab);
      let last = [];
      await eventually(async () => {
        last = await statuses();
        // Ours settled (not loading, not failed); no node of any kind in error.
        return last.filter((n) => n.type.startsWith('edge-ai-')).every((n) => ['green', 'blue', 'grey'].includes(n.status?.fill))
          && last.every((n) => !n.status || n.status.fill !== 'red');
      }, `${example}: every node with a settled, non-error status`, 180000).catch(async (err) => {
        await shot(`failed-${example}`);
        throw new Error(`${err.message}: ${JSON.stringify(last)}`);
      });
      // At 1400×950 and the editor's own zoom, nothing of the running flow covers anything else.
      const problems = await layoutProblems(tab);
      if (problems.length) await shot(`layout-${example.slice(0, 2)}`);
      assert.deepEqual(problems, [], `${example} as the editor draws it`);
      // The running flow, all of it, with its statuses after a few seconds of work: for the README.
      await page.setViewportSize({ width: 1920, height: 1000 });
      await red((tab) => {
        $('.red-ui-notification').hide();
        RED.menu.setSelected('menu-item-sidebar', false);
        const box = { left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity };
        RED.nodes.eachNode((n) => {
          if (n.z !== tab) return;
          const w = n.w || 120;
          Object.assign(box, { left: Math.min(box.left, n.x - w / 2), top: Math.min(box.top, n.y - 20), right: Math.max(box.right, n.x + w / 2 + 40), bottom: Math.max(box.bottom, n.y + 40) });
        });
        const chart = $('#red-ui-workspace-chart');
        for (let i = 0; i < 8 && RED.view.scale() * (box.right - box.left) > chart.width() - 20; i++) RED.actions.invoke('core:zoom-out');
        chart.scrollLeft(Math.max(0, (box.left - 10) * RED.view.scale())).scrollTop(Math.max(0, (box.top - 10) * RED.view.scale()));
      }, tab);
      await delay(4000);
      // Only the flow: the union of its nodes (with their statuses) and wires on the page, and a margin.
      const clip = await red(() => {
        const rects = [...document.querySelectorAll('#red-ui-workspace-chart .red-ui-flow-node-group, #red-ui-workspace-chart .red-ui-flow-link')]
          .map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0);
        const view = document.querySelector('#red-ui-workspace-chart').getBoundingClientRect();
        const x = Math.max(view.left, Math.min(...rects.map((r) => r.left)) - 12);
        const y = Math.max(view.top, Math.min(...rects.map((r) => r.top)) - 12);
        const right = Math.min(view.right, Math.max(...rects.map((r) => r.right)) + 12);
        const bottom = Math.min(view.bottom, Math.max(...rects.map((r) => r.bottom)) + 12);
        return { x, y, width: right - x, height: bottom - y };
      });
      await shot(`example-${example.slice(0, 2)}`, page, clip);
      await red(() => { RED.actions.invoke('core:zoom-reset'); RED.menu.setSelected('menu-item-sidebar', true); });
      await page.setViewportSize({ width: 1400, height: 950 });
    });
  }

  /** Open a node's dialog, press Done without touching anything; its validity afterwards. */
  async function doneWithoutChange(id) {
    const config = await red((id) => {
      const node = RED.nodes.node(id);
      if (node._def.category === 'config') RED.editor.editConfig('', node.type, node.id, 'node-input');
      else RED.editor.edit(node);
      return node._def.category === 'config';
    }, id);
    const ok = page.locator(config ? '#node-config-dialog-ok' : '#node-dialog-ok');
    await ok.waitFor({ state: 'visible' });
    await delay(300);
    await ok.click();
    await page.waitForFunction(() => !RED.editor.getEditStack().length);
    return red((id) => { const n = RED.nodes.node(id); return { type: n.type, name: n.name, valid: n.valid !== false }; }, id);
  }

  it('every node of every example, and the same flows written by hand with only their essential settings, stay valid through Done without a change', async () => {
    // A hand-written (or old) flow: our nodes with nothing but what names their source and model.
    const ESSENTIAL = new Set(['id', 'type', 'z', 'x', 'y', 'wires', 'name', 'source', 'path', 'url', 'catalogue', 'model', 'labelsSource', 'labelsFile']);
    for (const example of EXAMPLES) {
      const flow = JSON.parse(fs.readFileSync(path.join(root, 'examples', `${example}.json`), 'utf8'));
      const bare = flow.map((n) => (n.type.startsWith('edge-ai-') ? Object.fromEntries(Object.entries(n).filter(([k]) => ESSENTIAL.has(k))) : n));
      for (const nodes of [flow, bare]) {
        const ids = await red((nodes) => {
          const result = RED.view.importNodes(nodes, { generateIds: true, addFlow: true });
          const tab = RED.workspaces.active();
          const out = [];
          RED.nodes.eachNode((n) => { if (n.z === tab && n.type.startsWith('edge-ai-')) out.push(n.id); });
          RED.nodes.eachConfig((n) => { if (n.type === 'edge-ai-model' && result && out.some((id) => RED.nodes.node(id).model === n.id)) out.push(n.id); });
          return out;
        }, nodes);
        await dropImported();
        // Every edge-ai node of the example (05 has only a camera and a collect node).
        assert.ok(ids.length >= Math.min(4, flow.filter((n) => n.type.startsWith('edge-ai-')).length), `${example}: our nodes found`);
        const label = `${example}${nodes === bare ? ' (essential settings only)' : ''}`;
        const invalid = await red((ids) => ids.map((id) => RED.nodes.node(id)).filter((n) => n.valid === false).map((n) => `${n.type} "${n.name}"`), ids);
        assert.deepEqual(invalid, [], `${label}: invalid as imported`);
        for (const id of ids) {
          const after = await doneWithoutChange(id);
          assert.ok(after.valid, `${label}: ${after.type} "${after.name}" turned invalid`);
        }
        await red(() => RED.workspaces.remove());
      }
    }
  });

  it('an infer node takes the model of the preprocess node wired into it, and shows only its task\'s settings', async () => {
    const { infer } = await red((modelPath) => {
      const tab = RED.workspaces.active();
      const model = { id: RED.nodes.id(), type: 'edge-ai-model', source: 'file', path: modelPath, task: 'auto' };
      const pre = { id: RED.nodes.id(), type: 'edge-ai-preprocess', z: tab, x: 200, y: 500, settings: 'model', model: model.id, wires: [[]] };
      const inf = { id: RED.nodes.id(), type: 'edge-ai-infer', z: tab, x: 450, y: 500, model: '', wires: [] };
      RED.view.importNodes([model, pre, inf], { generateIds: false, addFlow: false });
      // What the canvas does when a wire is drawn from the preprocess node's output to the infer node.
      RED.nodes.addLink({ source: RED.nodes.node(pre.id), sourcePort: 0, target: RED.nodes.node(inf.id) });
      return { infer: inf.id };
    }, '${EDGE_AI_MODELS}/classification/mobilenet_v2_224_int8_qdq.onnx');
    const wired = await red((id) => { const n = RED.nodes.node(id); return { model: n.model, modelPath: RED.nodes.node(n.model)?.path, valid: n.valid }; }, infer);
    assert.match(wired.modelPath ?? '', /mobilenet_v2_224_int8_qdq/);
    assert.equal(wired.valid, true);
    await red((id) => RED.editor.edit(RED.nodes.node(id)), infer);
    await page.locator('#node-input-topK').waitFor({ state: 'visible' });
    // The model doctor reads the file: a classifier, so the detection settings stay hidden.
    await page.waitForFunction(() => !$('#node-input-confidence').is(':visible'), null, { timeout: 20000 });
    await shot('dialog-infer-classification');
    await page.click('#node-dialog-cancel');
    await page.waitForFunction(() => !RED.editor.getEditStack().length);
  });

  it('the camera dialog previews the latest frame of the running flow', async () => {
    await red(() => {
      let camera;
      RED.nodes.eachNode((n) => { if (n.type === 'edge-ai-camera' && n.source === 'video') camera = n; });
      RED.workspaces.show(camera.z);
      RED.editor.edit(camera);
    });
    await page.click('.edge-ai-preview-toggle');
    const image = page.locator('.edge-ai-preview-image');
    await page.waitForFunction(() => { const img = document.querySelector('.edge-ai-preview-image'); return img && img.complete && img.naturalWidth > 0; }, null, { timeout: 20000 });
    const size = await image.evaluate((img) => [img.naturalWidth, img.naturalHeight]);
    assert.deepEqual(size, [480, 360], 'downscaled by the runtime to 480 wide');
    await image.scrollIntoViewIfNeeded();
    await shot('dialog-camera-preview');
  });

  it('the trigger dialog draws a new zone over a frame from the flow and saves it', async () => {
    const before = await red(() => {
      let trigger;
      RED.nodes.eachNode((n) => { if (n.type === 'edge-ai-trigger' && n.name === 'walkway') trigger = n; });
      RED.workspaces.show(trigger.z);
      RED.editor.edit(trigger);
      return trigger.zones.length;
    });
    await page.click('.edge-ai-load-frame');
    const canvas = page.locator('.edge-ai-zones-canvas');
    await page.locator('.edge-ai-zones-message').filter({ hasText: /Load a frame|add zones/ }).waitFor();
    await canvas.scrollIntoViewIfNeeded();
    await page.click('.edge-ai-add-zone');
    const box = await canvas.boundingBox();
    for (const [fx, fy] of [[0.1, 0.6], [0.3, 0.6], [0.3, 0.9], [0.1, 0.9]]) await page.mouse.click(box.x + fx * box.width, box.y + fy * box.height);
    await page.click('.edge-ai-finish');
    const rows = page.locator('.edge-ai-zone-item');
    assert.equal(await rows.count(), before + 2, 'the new zone is listed beside the old zone and line');
    const corners = [[0.1, 0.6], [0.3, 0.6], [0.3, 0.9], [0.1, 0.9]];
    const points = (await rows.nth(before).locator('.edge-ai-item-points').inputValue()).split(' ').map((p) => p.split(',').map(Number));
    assert.equal(points.length, 4);
    points.forEach(([x, y], i) => assert.ok(Math.abs(x - corners[i][0]) < 0.01 && Math.abs(y - corners[i][1]) < 0.01, `corner ${i}: ${x},${y}`));
    await shot('dialog-trigger-zones');
    await page.click('#node-dialog-ok');
    const zones = await red(() => { let t; RED.nodes.eachNode((n) => { if (n.type === 'edge-ai-trigger' && n.name === 'walkway') t = n; }); return t.zones; });
    assert.equal(zones.length, before + 1);
    assert.equal(zones[before].points.length, 4);
  });

  it('speaks German to a German browser: palette, dialog and help', async () => {
    const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1400, height: 950 } });
    const german = await context.newPage();
    german.on('pageerror', (err) => pageErrors.push(String(err)));
    try {
      await german.goto(server.base);
      await german.waitForFunction((count) => window.RED && $('#red-ui-palette-container-edge_AI .red-ui-palette-node').length === count, FLOW_TYPES.length, { timeout: 60000 });
      const labels = await german.locator('#red-ui-palette-container-edge_AI .red-ui-palette-label').allInnerTexts();
      const catalog = (type) => JSON.parse(fs.readFileSync(path.join(root, 'locales', 'de', `${type}.json`), 'utf8'))[type];
      // The palette breaks long labels over lines and spaces out hyphens: compare the letters.
      const letters = (text) => text.replace(/\s+/g, '');
      assert.deepEqual(labels.map(letters), FLOW_TYPES.map((type) => letters(catalog(type).paletteLabel)));
      // The flows arrive after the palette: wait for example 04's trigger.
      const walkway = () => { let t; RED.nodes.eachNode((n) => { if (n.type === 'edge-ai-trigger' && n.name === 'walkway') t = n; }); return t; };
      await german.waitForFunction(`(${walkway})()`, null, { timeout: 30000 });
      await german.evaluate(`(() => { const t = (${walkway})(); RED.workspaces.show(t.z); RED.editor.edit(t); })()`);
      await german.locator('#node-input-minScore').waitFor({ state: 'visible' });
      const form = await german.locator('.red-ui-tray-body').first().innerText();
      assert.ok(form.includes(catalog('edge-ai-trigger').label.groupZones), 'the zone group in German');
      await german.evaluate(() => RED.sidebar.help.show('edge-ai-trigger'));
      const helpPanel = german.locator('.red-ui-help').filter({ has: german.locator('h3') }).first();
      await helpPanel.locator('h3').first().waitFor({ state: 'visible' });
      const help = await helpPanel.innerText();
      assert.match(help, /Eingangsdaten/);
      assert.match(help, /Ausgangsdaten/);
      await german.screenshot({ path: path.join(SHOTS, 'german-trigger.png') });
    } finally {
      await context.close();
    }
  });

  it('threw no script errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
