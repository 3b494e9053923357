#!/usr/bin/env node
'use strict';
// For scripts/container-test.sh: the edge-ai DaemonSet's pod (deploy/k8s/) as a Pod that
// `podman kube play` (podman 4.3) can run on a machine without Kubernetes, with the ConfigMaps
// it reads. Only what podman 4.3 or this machine cannot do is changed, and each change is listed
// on stdout:
//   - the Secret volume becomes a hostPath folder holding the same files (kube play panics on
//     secret volumes), made by the caller with the Secret's keys and fsGroup's group and mode;
//   - the fieldRef spec.nodeName becomes a fixed value (kube play does not support it);
//   - restartPolicy Never (podman 4.3 restarts a run-once init container under Always);
//   - no camera device (none here);
//   - optionally npm's CA for the model catalogue behind a TLS-intercepting proxy.
// usage: kube-pod.js OUT_DIR POD_NAME IMAGE DATA_DIR SECRETS_DIR [CA_FILE]
// writes OUT_DIR/pod.yaml and OUT_DIR/probes.json (each probe's command, for `podman exec`, the
// Secret's keys, for the caller to make those files, and the ConfigMaps podman makes volumes of).
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const [out, podName, image, dataDir, secretsDir, caFile] = process.argv.slice(2);
if (!secretsDir) {
  console.error('usage: kube-pod.js OUT_DIR POD_NAME IMAGE DATA_DIR SECRETS_DIR [CA_FILE]');
  process.exit(2);
}
const k8s = path.resolve(__dirname, '..', '..', 'deploy', 'k8s');
const docs = fs.readdirSync(k8s).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(k8s, f), 'utf8'), { version: '1.1' }).map((d) => d.toJS()))
  .filter(Boolean);
const daemonSet = docs.find((d) => d.kind === 'DaemonSet' && d.metadata.name === 'edge-ai');
const spec = structuredClone(daemonSet.spec.template.spec);
const changes = [];

delete spec.nodeSelector;
for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
  c.image = image;
  // The camera comes from the device plugin, which kube play does not have.
  for (const [name, amount] of Object.entries(c.resources?.limits ?? {})) {
    if (!name.includes('.')) continue;
    delete c.resources.limits[name];
    changes.push(`${c.name}: device ${name}: ${amount} left out`);
  }
}
changes.push(`image ${image}`);

spec.volumes.find((v) => v.hostPath?.path === '/var/lib/edge-ai').hostPath = { path: dataDir, type: 'Directory' };
changes.push(`data hostPath /var/lib/edge-ai -> ${dataDir}`);

const secretVolume = spec.volumes.find((v) => v.secret);
const secret = docs.find((d) => d.kind === 'Secret' && d.metadata.name === secretVolume.secret.secretName);
const secretKeys = Object.keys({ ...secret.data, ...secret.stringData });
changes.push(`Secret ${secretVolume.secret.secretName} -> hostPath ${secretsDir}`);
secretVolume.hostPath = { path: secretsDir, type: 'Directory' };
delete secretVolume.secret;

const main = spec.containers.find((c) => c.name === 'node-red');
for (const env of main.env) {
  if (env.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName') {
    delete env.valueFrom;
    env.value = 'kube-play';
    changes.push(`${env.name} = kube-play (fieldRef spec.nodeName)`);
  }
}
spec.restartPolicy = 'Never';
changes.push('restartPolicy Never');
if (caFile) {
  spec.volumes.push({ name: 'npm-ca', hostPath: { path: caFile, type: 'File' } });
  main.volumeMounts.push({ name: 'npm-ca', mountPath: '/etc/edge-ai/npm-ca.crt', readOnly: true });
  main.env.push({ name: 'NPM_CONFIG_CAFILE', value: '/etc/edge-ai/npm-ca.crt' });
  changes.push(`NPM_CONFIG_CAFILE from ${caFile}`);
}

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: podName, labels: daemonSet.spec.template.metadata.labels }, spec };
const configMaps = docs.filter((d) => d.kind === 'ConfigMap' && (main.envFrom ?? []).some((e) => e.configMapRef?.name === d.metadata.name)
  || d.kind === 'ConfigMap' && spec.volumes.some((v) => v.configMap?.name === d.metadata.name));
fs.writeFileSync(path.join(out, 'pod.yaml'), [...configMaps, pod].map((d) => YAML.stringify(d)).join('---\n'));
const probes = Object.fromEntries(['startupProbe', 'livenessProbe', 'readinessProbe'].map((p) => [p, main[p].exec.command]));
fs.writeFileSync(path.join(out, 'probes.json'), JSON.stringify({ container: `${podName}-${main.name}`, probes, secretKeys,
  configMapVolumes: spec.volumes.filter((v) => v.configMap).map((v) => v.configMap.name) }));
for (const change of changes) console.log(`test-only: ${change}`);
