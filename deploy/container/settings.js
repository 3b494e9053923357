'use strict';
// Node-RED settings of the @edgeflow/node-red-edge-ai container image. What differs between
// devices comes from the environment or from secret files mounted at run time; the image holds
// no secret. Each secret is read from its environment variable, else from the file named by
// <VARIABLE>_FILE, else from its file under /run/secrets/ (where `docker run --secret`, compose
// and podman put them) when that exists:
//
//   NODE_RED_ADMIN_PASSWORD_HASH   /run/secrets/node-red-admin-password-hash
//       bcrypt hash of the editor's password (`node-red admin hash-pw`, or
//       `docker run --rm -it IMAGE node-red admin hash-pw`). Present: adminAuth is on, one user
//       NODE_RED_ADMIN_USER (default admin) with every permission. Absent: the editor and the
//       admin API are open to anyone who reaches the port, and the log says so.
//   EDGE_AI_HEALTH_TOKEN           /run/secrets/edge-ai-health-token
//       bearer token for GET /edge-ai/health under adminAuth (at least 16 characters, e.g.
//       `openssl rand -hex 32`): it authenticates as user `health`, whose only permission is
//       edge-ai-health.read. `edge-ai-model health` (the HEALTHCHECK, the k8s probes) sends it.
//   NODE_RED_CREDENTIAL_SECRET     /run/secrets/node-red-credential-secret
//       key that encrypts flows_cred.json. Absent: Node-RED makes one and keeps it in
//       /data/.config.runtime.json, beside the file it protects.
//
// Also: PORT (1880), HOST (listen address; default all), NODE_RED_LOG_LEVEL (info).
// A secret set to a file that does not exist, a password hash that is not bcrypt and a short
// health token stop Node-RED at start rather than leave the editor open by mistake.
const crypto = require('node:crypto');
const fs = require('node:fs');

/** A secret from VARIABLE, the file VARIABLE_FILE names, or the default file if present. */
function secret(variable, defaultFile) {
  const value = process.env[variable];
  if (value !== undefined && value.trim() !== '') return { value: value.trim(), from: `environment variable ${variable}` };
  const named = process.env[`${variable}_FILE`];
  const file = named && named.trim() !== '' ? named.trim() : defaultFile;
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT' && file === defaultFile) return undefined;
    throw new Error(`${variable}_FILE names ${file}, which cannot be read (${err.code || err.message})`);
  }
  if (text.trim() === '') throw new Error(`${file} (${variable}) is empty`);
  return { value: text.trim(), from: `file ${file}` };
}

/** Equal strings in time that does not depend on where they differ (nor on their lengths). */
function sameSecret(given, expected) {
  const a = crypto.createHash('sha256').update(String(given)).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

function warn(text) {
  console.warn(`[edge-ai] ${text}`);
}

const port = Number(process.env.PORT || 1880);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  throw new Error(`PORT must be a port number (1-65535), not "${process.env.PORT}"`);
}

const passwordHash = secret('NODE_RED_ADMIN_PASSWORD_HASH', '/run/secrets/node-red-admin-password-hash');
const healthToken = secret('EDGE_AI_HEALTH_TOKEN', '/run/secrets/edge-ai-health-token');
const credentialSecret = secret('NODE_RED_CREDENTIAL_SECRET', '/run/secrets/node-red-credential-secret');
const adminUser = (process.env.NODE_RED_ADMIN_USER || 'admin').trim();

if (passwordHash && !/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(passwordHash.value)) {
  throw new Error(`NODE_RED_ADMIN_PASSWORD_HASH (${passwordHash.from}) is not a bcrypt hash: make one with "node-red admin hash-pw"`);
}
if (healthToken && healthToken.value.length < 16) {
  throw new Error(`EDGE_AI_HEALTH_TOKEN (${healthToken.from}) has ${healthToken.value.length} characters: use at least 16 (e.g. openssl rand -hex 32)`);
}
if (adminUser === 'health' && passwordHash) {
  throw new Error('NODE_RED_ADMIN_USER cannot be "health": that name is the health check\'s');
}

let adminAuth;
if (passwordHash) {
  adminAuth = {
    type: 'credentials',
    users: [{ username: adminUser, password: passwordHash.value, permissions: '*' }],
    // Bearer tokens that are not editor sessions: only the health token, as a user who may read
    // the health route and nothing else.
    tokens(token) {
      const ok = healthToken !== undefined && typeof token === 'string' && sameSecret(token, healthToken.value);
      return Promise.resolve(ok ? { username: 'health', permissions: 'edge-ai-health.read' } : null);
    },
  };
  if (!healthToken) warn('adminAuth is on but EDGE_AI_HEALTH_TOKEN is not set: the health check cannot authenticate and will report the container unhealthy');
} else {
  warn(`NODE_RED_ADMIN_PASSWORD_HASH is not set: the Node-RED editor and admin API on port ${port} are OPEN to anyone who can reach it. ` +
    'Set it (or the secret file /run/secrets/node-red-admin-password-hash) to a hash from "node-red admin hash-pw".');
}

module.exports = {
  uiPort: port,
  ...(process.env.HOST ? { uiHost: process.env.HOST } : {}),
  flowFile: 'flows.json',
  flowFilePretty: true,
  ...(credentialSecret ? { credentialSecret: credentialSecret.value } : {}),
  adminAuth,
  logging: {
    console: { level: process.env.NODE_RED_LOG_LEVEL || 'info', metrics: false, audit: false },
  },
  // The image is updated as a whole; Node-RED's own update notice would point elsewhere.
  telemetry: { updateNotification: false },
  editorTheme: { projects: { enabled: false } },
  exportGlobalContextKeys: false,
};
