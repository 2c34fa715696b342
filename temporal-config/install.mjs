#!/usr/bin/env node
// Makes sure a Temporal CLI binary exists and prints its path on stdout (progress goes to stderr).
// Plain Node ESM without dependencies: it runs as `npm test`'s pretest, before anything is built.
//
// TEMPORAL_CLI_PATH wins. Otherwise the CLI is built from source with `go install`, pinned to
// v1.5.1 because later releases carry a `replace` directive in go.mod, which `go install pkg@version`
// refuses. The binary lands in <project>/.tollgate/tools/bin in a clone (a per-user cache,
// ~/.cache/tollgate/tools, for an installed package; TOLLGATE_TOOLS_DIR overrides) and is reused
// while it reports 1.5.1.
//
// `--server` does the same for a real (non-dev) Temporal server and its SQL schema tool, pinned to
// the server release that CLI embeds, and prints their paths as JSON (see ensureTemporalServer).

import { spawn } from 'node:child_process';
import { constants as fsConstants, existsSync, realpathSync } from 'node:fs';
import { access, chmod, cp, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPORAL_CLI_VERSION = '1.5.1';
// The go.temporal.io/server release that cli v1.5.1 builds in (`go version -m temporal`), so the
// dev server and the real server run the same code and the Go module cache is already warm.
export const TEMPORAL_SERVER_VERSION = '1.29.1';

const CLI_MODULE = 'github.com/temporalio/cli';
const SERVER_MODULE = 'go.temporal.io/server';
// Same ldflags as the project's goreleaser build, so `temporal --version` names the release.
const LDFLAGS = `-s -w -X ${CLI_MODULE}/temporalcli.Version=${TEMPORAL_CLI_VERSION}`;
// cli v1.5.1's go.mod says `go 1.25.0`; an older go only works if it may fetch that toolchain.
const MIN_GO = [1, 25];
const MIN_GO_WITH_TOOLCHAIN_SWITCH = [1, 21];
const FALLBACK_GO = '/usr/local/go/bin/go';
const EXE = process.platform === 'win32' ? '.exe' : '';

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * A clone keeps its tools beside it (.tollgate/tools); an installed package (node_modules, or a
 * build in dist/) must not write into itself, so it uses a per-user cache shared by projects.
 */
function toolsDirectory() {
  if (process.env.TOLLGATE_TOOLS_DIR) return resolve(process.env.TOLLGATE_TOOLS_DIR);
  if (existsSync(join(PROJECT_ROOT, '.git'))) return join(PROJECT_ROOT, '.tollgate', 'tools');
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), process.platform === 'darwin' ? 'Library/Caches' : '.cache');
  return join(cache, 'tollgate', 'tools');
}
const TOOLS_DIR = toolsDirectory();
const BIN_DIR = join(TOOLS_DIR, 'bin');
const LOCK_DIR = join(TOOLS_DIR, 'install.lock');
// The schema files travel with the binaries: the Go module cache they come from may be cleaned.
const SERVER_SCHEMA_DIR = join(TOOLS_DIR, `temporal-server-${TEMPORAL_SERVER_VERSION}`, 'schema');

const HOW_TO_GET_GO = `install Go >= ${MIN_GO.join('.')} (https://go.dev/dl/) and rerun`;
const HOW_TO_GET_ONE =
  `${HOW_TO_GET_GO}, or set TEMPORAL_CLI_PATH to a Temporal CLI ${TEMPORAL_CLI_VERSION.replace(/\.\d+$/, '.x')} binary`;

let pending;

/**
 * Path of a usable `temporal` binary, building the pinned CLI first when needed.
 * Concurrent callers (several test workers) share one build through a lock directory.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<string>}
 */
export async function ensureTemporalCli(options = {}) {
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  pending ??= resolveTemporalCli(log).catch((error) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

async function resolveTemporalCli(log) {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) return checkProvidedBinary(resolve(fromEnv), log);

  const target = join(BIN_DIR, `temporal${EXE}`);
  if (await isPinnedBuild(target)) return target;
  return withInstallLock(log, async () => {
    // Another process may have finished the build while we waited for the lock.
    if (await isPinnedBuild(target)) return target;
    await buildPinnedCli(target, log);
    if (!(await isPinnedBuild(target))) {
      throw new Error(`the build finished but ${target} does not report Temporal CLI ${TEMPORAL_CLI_VERSION}`);
    }
    return target;
  });
}

let pendingServer;

/**
 * A real Temporal server (not the dev server) and its SQL schema tool, built from the Go module
 * proxy at TEMPORAL_SERVER_VERSION into .tollgate/tools/bin, plus the schema files they apply.
 * Skips the build when both binaries report that version and the schema is in place.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<{ server: string, sqlTool: string, schemaDir: string, version: string }>}
 */
export async function ensureTemporalServer(options = {}) {
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  pendingServer ??= resolveTemporalServer(log).catch((error) => {
    pendingServer = undefined;
    throw error;
  });
  return pendingServer;
}

async function resolveTemporalServer(log) {
  const installed = {
    server: join(BIN_DIR, `temporal-server${EXE}`),
    sqlTool: join(BIN_DIR, `temporal-sql-tool${EXE}`),
    schemaDir: SERVER_SCHEMA_DIR,
    version: TEMPORAL_SERVER_VERSION,
  };
  const present = async () => (await binaryVersion(installed.server) === TEMPORAL_SERVER_VERSION)
    && (await binaryVersion(installed.sqlTool) === TEMPORAL_SERVER_VERSION)
    && (await stat(join(SERVER_SCHEMA_DIR, 'postgresql', 'v12', 'temporal', 'versioned')).then((info) => info.isDirectory(), () => false));
  if (await present()) return installed;
  return withInstallLock(log, async () => {
    if (await present()) return installed;
    await buildServer(installed, log);
    if (!(await present())) {
      throw new Error(`the build finished but ${installed.server} or ${installed.sqlTool} does not report Temporal server ${TEMPORAL_SERVER_VERSION}`);
    }
    return installed;
  }, `Temporal server ${TEMPORAL_SERVER_VERSION}`);
}

async function buildServer(installed, log) {
  const what = `Temporal server v${TEMPORAL_SERVER_VERSION}`;
  // go install names binaries after their package directories (server, sql); build them aside
  // and give them the names the release archives use.
  const staging = await mkdtemp(join(TOOLS_DIR, 'server-build-'));
  try {
    await goInstall({
      what,
      packages: [`${SERVER_MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION}`, `${SERVER_MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`],
      ldflags: '-s -w',
      gobin: staging,
      log,
      howTo: `${HOW_TO_GET_GO} (only the production-shaped rehearsal needs the real server; everything else runs on the CLI's dev server)`,
    });
    await mkdir(BIN_DIR, { recursive: true });
    await rename(join(staging, `server${EXE}`), installed.server);
    await rename(join(staging, `sql${EXE}`), installed.sqlTool);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  // The module the build just used holds the schema that matches the binaries.
  const go = await findGo();
  const { stdout } = await run(go, ['env', 'GOMODCACHE']);
  const source = join(stdout.trim(), `${SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql');
  const target = join(SERVER_SCHEMA_DIR, 'postgresql');
  await rm(target, { recursive: true, force: true });
  await mkdir(SERVER_SCHEMA_DIR, { recursive: true });
  // The module cache is read-only; the copy must not be, or the next build could not replace it.
  await cp(source, target, { recursive: true });
  await chmodTree(target);
  log(`tollgate: ${what}: ${installed.server}, ${installed.sqlTool}, schema ${SERVER_SCHEMA_DIR}`);
}

async function chmodTree(dir) {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await chmodTree(path);
    else await chmod(path, 0o644);
  }
}

/**
 * The release a Temporal binary reports: `temporal --version` prints "temporal version 1.5.1 (…)",
 * the server "temporal version 1.29.1", the sql tool "temporal-sql-tool version 1.29.1".
 */
async function binaryVersion(path) {
  if (!(await isExecutable(path))) return undefined;
  const { code, stdout } = await run(path, ['--version']).catch(() => ({ code: -1, stdout: '' }));
  return code === 0 ? /version (\S+)/.exec(stdout)?.[1] : undefined;
}

async function checkProvidedBinary(path, log) {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new Error(`TEMPORAL_CLI_PATH=${path} does not exist; point it at a Temporal CLI binary or unset it to build one`);
  if (!info.isFile()) throw new Error(`TEMPORAL_CLI_PATH=${path} is not a file`);
  if (!(await isExecutable(path))) throw new Error(`TEMPORAL_CLI_PATH=${path} is not executable`);
  const version = await binaryVersion(path);
  if (version === undefined) throw new Error(`TEMPORAL_CLI_PATH=${path} does not answer \`--version\` like a Temporal CLI`);
  if (!version.startsWith('1.5.') && version !== '0.0.0-DEV') {
    log(`tollgate: warning: TEMPORAL_CLI_PATH is Temporal CLI ${version}; Tollgate is tested with ${TEMPORAL_CLI_VERSION}`);
  }
  return path;
}

async function isPinnedBuild(path) {
  if (!(await isExecutable(path))) return false;
  const version = await binaryVersion(path);
  if (version === TEMPORAL_CLI_VERSION) return true;
  // A plain `go install` (no ldflags) reports 0.0.0-DEV; its embedded module version still tells.
  if (version !== '0.0.0-DEV') return false;
  const go = await findGo();
  if (!go) return false;
  const { code, stdout } = await run(go, ['version', '-m', path]);
  return code === 0 && new RegExp(`^\\s*mod\\s+${CLI_MODULE}\\s+v${TEMPORAL_CLI_VERSION}\\s`, 'm').test(stdout);
}

async function buildPinnedCli(target, log) {
  await goInstall({
    what: `Temporal CLI v${TEMPORAL_CLI_VERSION}`,
    packages: [`${CLI_MODULE}/cmd/temporal@v${TEMPORAL_CLI_VERSION}`],
    ldflags: LDFLAGS,
    gobin: BIN_DIR,
    log,
  });
  log(`tollgate: Temporal CLI: ${target}`);
}

/** `go install` with progress lines every 30 s and the tail of go's output when it fails. */
async function goInstall({ what, packages, ldflags, gobin, log, howTo = HOW_TO_GET_ONE }) {
  const go = await findGo();
  if (!go) throw new Error(`cannot build ${what}: Go was not found on PATH or at ${FALLBACK_GO}; ${howTo}`);
  await checkGoVersion(go, log, what, howTo);
  await mkdir(gobin, { recursive: true });

  log(`tollgate: building ${what} (go install ${packages.join(' ')}) into ${gobin}`);
  log('tollgate: a cold build downloads ~170 Go modules and compiles the Temporal server; expect several minutes');

  const started = Date.now();
  let downloads = 0;
  const tail = [];
  const heartbeat = setInterval(() => {
    log(`tollgate: still building ${what} (${formatDuration(Date.now() - started)} elapsed, ${downloads} modules downloaded)`);
  }, 30_000);
  try {
    const { code } = await run(go, ['install', '-ldflags', ldflags, ...packages], {
      cwd: TOOLS_DIR,
      env: { ...process.env, GOBIN: gobin },
      onStderrLine: (line) => {
        if (line.startsWith('go: downloading')) downloads += 1;
        tail.push(line);
        if (tail.length > 25) tail.shift();
      },
    });
    if (code !== 0) {
      throw new Error(`\`go install ${packages.join(' ')}\` failed (exit ${code}):\n${tail.join('\n')}\n(${howTo})`);
    }
  } finally {
    clearInterval(heartbeat);
  }
  log(`tollgate: built ${what} in ${formatDuration(Date.now() - started)} (${downloads} modules downloaded)`);
}

async function checkGoVersion(go, log, what, howTo) {
  const { stdout } = await run(go, ['env', 'GOVERSION', 'GOTOOLCHAIN']);
  const [goVersion = '', toolchain = ''] = stdout.split('\n').map((s) => s.trim());
  const match = /^go(\d+)\.(\d+)/.exec(goVersion);
  if (!match) return; // a development toolchain; let `go install` decide
  const have = [Number(match[1]), Number(match[2])];
  if (!versionBelow(have, MIN_GO)) return;
  if (!versionBelow(have, MIN_GO_WITH_TOOLCHAIN_SWITCH) && toolchain !== 'local') {
    log(`tollgate: ${goVersion} is older than go${MIN_GO.join('.')}; go will fetch a newer toolchain (GOTOOLCHAIN=${toolchain})`);
    return;
  }
  throw new Error(`cannot build ${what}: ${go} is ${goVersion}, too old; ${howTo}`);
}

function versionBelow([major, minor], [wantMajor, wantMinor]) {
  return major < wantMajor || (major === wantMajor && minor < wantMinor);
}

async function findGo() {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, `go${EXE}`);
    if (await isExecutable(candidate)) return candidate;
  }
  return (await isExecutable(FALLBACK_GO)) ? FALLBACK_GO : undefined;
}

async function isExecutable(path) {
  try {
    await access(path, fsConstants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Runs `fn` holding a lock directory, so two processes never build into the same folder at once.
 * The lock is published by renaming a prepared directory (atomic); a lock whose owner died is removed.
 */
async function withInstallLock(log, fn, what = 'the Temporal CLI') {
  await mkdir(TOOLS_DIR, { recursive: true });
  let announced = false;
  for (;;) {
    const staging = await mkdtemp(join(TOOLS_DIR, 'lock-'));
    await writeFile(join(staging, 'pid'), String(process.pid));
    try {
      await rename(staging, LOCK_DIR);
      break;
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      if (!['EEXIST', 'ENOTEMPTY', 'EPERM'].includes(error.code)) throw error;
    }
    const owner = Number(await readFile(join(LOCK_DIR, 'pid'), 'utf8').catch(() => ''));
    if (owner && !isAlive(owner)) {
      await rm(LOCK_DIR, { recursive: true, force: true });
      continue;
    }
    if (!announced) {
      log(`tollgate: waiting for another process (pid ${owner || '?'}) that is building ${what}`);
      announced = true;
    }
    await new Promise((done) => setTimeout(done, 1000));
  }
  try {
    return await fn();
  } finally {
    // Move the lock aside first: removal is not atomic, and a waiter may publish its own lock meanwhile.
    const released = join(TOOLS_DIR, `released-${process.pid}-${Date.now()}`);
    await rename(LOCK_DIR, released).catch(() => undefined);
    await rm(released, { recursive: true, force: true });
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function run(command, args, { cwd, env, onStderrLine } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onStderrLine?.(line);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (partial) onStderrLine?.(partial);
      resolvePromise({ code: code ?? -1, stdout });
    });
  });
}

function formatDuration(ms) {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

function invokedAsScript() {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedAsScript()) {
  try {
    const output = process.argv.includes('--server') ? JSON.stringify(await ensureTemporalServer()) : await ensureTemporalCli();
    process.stdout.write(`${output}\n`);
  } catch (error) {
    process.stderr.write(`tollgate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
