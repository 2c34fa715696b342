import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SupervisedProcess {
  child: ChildProcess;
  /** Settles when the process exits, whoever stopped it. */
  exited: Promise<ProcessExit>;
  /** The last lines it printed, for error messages. */
  tail(): string[];
  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
}

export interface SuperviseOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** How long `stop()` waits after SIGTERM before SIGKILL; default 10 s. */
  stopGraceMs?: number;
  /** Lines kept for `tail()`; default 40. */
  tailLines?: number;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/**
 * Runs a Temporal server binary (the CLI's dev server or the real server) as a child that never
 * outlives this process, keeping the tail of its output for error messages.
 */
export function superviseProcess(command: string, args: readonly string[], options: SuperviseOptions = {}): SupervisedProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env, cwd: options.cwd });
  const kept: string[] = [];
  const keep = options.tailLines ?? 40;
  const onLine = (stream: 'stdout' | 'stderr') => (line: string) => {
    kept.push(line);
    if (kept.length > keep) kept.shift();
    options.onLine?.(line, stream);
  };
  forEachLine(child.stdout, onLine('stdout'));
  forEachLine(child.stderr, onLine('stderr'));

  let exitInfo: ProcessExit | undefined;
  const exited = new Promise<ProcessExit>((resolveExit) => {
    const settle = (info: ProcessExit) => {
      exitInfo ??= info;
      resolveExit(exitInfo);
    };
    child.once('exit', (code, signal) => settle({ code, signal }));
    child.once('error', (error) => {
      onLine('stderr')(`failed to run ${command}: ${error.message}`);
      settle({ code: null, signal: null });
    });
  });
  const releaseGuard = guardAgainstOrphaning(child, exited);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (!exitInfo) {
        child.kill('SIGTERM');
        if (!(await settlesWithin(exited, options.stopGraceMs ?? 10_000))) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      releaseGuard();
    })();
    return stopping;
  };
  return { child, exited, tail: () => [...kept], stop };
}

export interface WaitUntilServingOptions {
  address: string;
  /** Resolves when the process says it is up (a line it prints); default: at once. */
  announced?: Promise<void>;
  exited: Promise<ProcessExit>;
  timeoutMs: number;
  failure: (what: string) => Error;
  /** What must answer before the server counts as serving; the connection is closed if it throws. */
  probe: (connection: Connection) => Promise<unknown>;
}

/**
 * Connects to the frontend until `probe` succeeds. Fails at once when the process exits, and
 * after `timeoutMs` with the last error seen.
 */
export async function waitUntilServing(options: WaitUntilServingOptions): Promise<Connection> {
  const { address, exited, timeoutMs, failure, probe } = options;
  const deadline = Date.now() + timeoutMs;
  const timedOut = (why = '') => failure(`did not answer within ${Math.round(timeoutMs / 1000)}s${why}`);
  const exitedFirst = exited.then((info) => {
    throw failure(`exited (${info.signal ?? `code ${info.code}`}) before it answered`);
  });
  exitedFirst.catch(() => undefined);
  let gone = false;
  void exited.then(() => { gone = true; });

  let timer: NodeJS.Timeout | undefined;
  const deadlinePassed = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), timeoutMs);
  });
  deadlinePassed.catch(() => undefined);
  try {
    await Promise.race([options.announced ?? Promise.resolve(), exitedFirst, deadlinePassed]);
  } finally {
    clearTimeout(timer);
  }

  let lastError: unknown;
  for (;;) {
    if (gone) await exitedFirst;
    if (Date.now() > deadline) throw timedOut(lastError instanceof Error ? ` (last error: ${lastError.message})` : '');
    const attempt = Connection.connect({ address, connectTimeout: '2s' });
    try {
      const connection = await Promise.race([attempt, exitedFirst]);
      try {
        await probe(connection);
        return connection;
      } catch (error) {
        lastError = error;
        await connection.close();
      }
    } catch (error) {
      if (gone) {
        void attempt.then((connection) => connection.close(), () => undefined);
        throw error;
      }
      lastError = error;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
}

export function hostForUrl(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

const runningServers = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Makes sure the server does not outlive this process. An 'exit' hook covers normal exits; a tiny
 * shell watchdog reading our end of a pipe covers deaths that skip hooks (SIGKILL, a test runner
 * killing its worker): the pipe closes, `read` returns, and the watchdog stops the server.
 */
function guardAgainstOrphaning(child: ChildProcess, exited: Promise<ProcessExit>): () => void {
  runningServers.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const server of runningServers) server.kill('SIGTERM');
    });
  }

  let watchdog: ChildProcess | undefined;
  if (process.platform !== 'win32' && child.pid) {
    watchdog = spawn('/bin/sh', ['-c', [
      'read _',
      'kill -TERM "$1" 2>/dev/null',
      'i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.5; i=$((i+1)); done',
      'kill -KILL "$1" 2>/dev/null',
    ].join('; '), 'tollgate-temporal-watchdog', String(child.pid)], { stdio: ['pipe', 'ignore', 'ignore'] });
    watchdog.on('error', () => undefined);
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }

  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    runningServers.delete(child);
    // The server is gone; the watchdog must not signal a pid that may be reused.
    watchdog?.kill('SIGKILL');
  };
  void exited.then(release);
  return release;
}

function forEachLine(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(line);
  });
  stream.on('end', () => {
    if (partial.trim()) onLine(partial);
  });
}

function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      done(true);
    });
  });
}

/**
 * The foreground life of a server for humans (the two start scripts): start it with output
 * passed through, print the banner, stop it on Ctrl-C or SIGTERM, and exit 0 for a clean stop,
 * 3 for a crash or a failed start (the message alone, no stack).
 */
export async function runInForeground<S extends { exited: Promise<ProcessExit>; stop(): Promise<void> }>(
  name: string,
  start: (onOutput: (line: string, stream: 'stdout' | 'stderr') => void) => Promise<S>,
  banner: (server: S) => string[],
): Promise<void> {
  // The server's own shutdown logs a burst of warnings from its internal workers; nobody needs them.
  let stopping = false;
  try {
    const server = await start((line, stream) => stopping || (stream === 'stderr' ? process.stderr : process.stdout).write(`${line}\n`));
    process.stdout.write([...banner(server), 'Ctrl-C to stop.', ''].join('\n'));
    const shutdown = () => {
      stopping = true;
      process.stdout.write(`Stopping the ${name}...\n`);
      void server.stop();
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    const { code, signal } = await server.exited;
    process.exitCode = code === 0 || signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 3;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = (error as { exitCode?: number }).exitCode ?? 3;
  }
}
