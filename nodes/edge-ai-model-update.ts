// edge-ai-model-update: takes signed model bundles for one model node (source "Signed updates")
// from an mqtt in, http request or file in node, or fetches them from a URL itself; each is
// applied through the model's update device (lib/update/device.ts), and the device's state goes
// out as a retained status message for an mqtt out node.
import './supported-platform';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { StatusLine, localError } from './adapter';
import { EdgeAiError, describeValue } from './lib/errors';
import { BundleFeed, PollSchedule, isOutcomeError, updateConfigFrom, updateStatusLine, type UpdateConfig, type UpdateDevice, type UpdateNodeSettings, type UpdateState } from './lib/update';
import type { ModelNode } from './model-node';

/** How long after deploy the first status goes out. */
const STATUS_DELAY_MS = 2000;

type UpdateNodeDef = NodeDef & UpdateNodeSettings & { model: string };
type UpdateNode = Node<{ publicKeys: unknown }>;

const PACKAGE_VERSION = (JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

module.exports = function register(RED: NodeAPI): void {
  function EdgeAiModelUpdateNode(this: UpdateNode, def: UpdateNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node, RED, 'edge-ai-model-update');
    const baseDir = RED.settings.userDir ?? process.cwd();
    let device: UpdateDevice | undefined;
    let config: UpdateConfig | undefined;
    let setupError: Error | undefined;
    try {
      device = (RED.nodes.getNode(def.model) as ModelNode | null)?.updates;
      if (!device) throw new Error(RED._('edge-ai-model-update.errors.noModel'));
      config = updateConfigFrom(def, String(node.credentials?.publicKeys ?? ''), device.name, os.hostname(), baseDir);
      device.watchWith(config.policy);
      device.deviceName = config.device;
    } catch (err) {
      setupError = localError(RED, err);
      status.error(setupError);
    }

    const feed = device && config ? new BundleFeed(device, config, PACKAGE_VERSION) : undefined;
    /** The state under the node and, retained, on the status topic. */
    const publish = (state: UpdateState): void => {
      const line = updateStatusLine(state, () => feed!.keysTrusted());
      status.show(line.kind, line.key, line.params);
      node.send({ topic: config!.topic, payload: device!.status(state), retain: true, qos: 1 } as NodeMessage);
    };
    const stopListening = feed ? device!.onChange(publish) : undefined;
    // The state at deploy, once an mqtt out has had time to connect (it drops what comes before),
    // and again now and then: a restarted device says again what it serves.
    const repeat = feed ? new PollSchedule(config!.statusMs || Infinity, async () => publish(device!.store.state())) : undefined;
    repeat?.start(STATUS_DELAY_MS);

    /** An error in the user's language, drawn under the node unless the published state tells of it already. */
    const reported = (err: unknown): Error => {
      const local = localError(RED, err);
      if (!isOutcomeError(err)) status.error(local);
      return local;
    };
    const polling = config?.url ? new PollSchedule(config.pollMs, () => feed!.look().catch((err) => node.error(reported(err)))) : undefined;
    polling?.start(1000);

    node.on('input', (msg: NodeMessageInFlow, _send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      if (setupError) return done(setupError);
      const fail = (err: unknown): void => done(reported(err));
      if (Buffer.isBuffer(msg.payload)) {
        const bundle = msg.payload;
        status.show('working', 'receiving');
        feed!.receive((async function* bytes() { yield bundle; })()).then(() => done(), fail);
      } else if (config!.url) {
        // With a URL set, any other msg (an inject) asks for a look now.
        feed!.look().then(() => done(), fail);
      } else {
        fail(new EdgeAiError('bundleInput', { received: describeValue(msg.payload) }));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      repeat?.stop();
      polling?.stop();
      feed?.close();
      stopListening?.();
      status.clear();
      done();
    });
  }
  RED.nodes.registerType('edge-ai-model-update', EdgeAiModelUpdateNode, { credentials: { publicKeys: { type: 'text' } } });
};
