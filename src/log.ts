/**
 * The one logger. Everything that logs (Tollgate's modules, the Temporal SDK through
 * temporalLogger(), Bolt and the Slack Web API through slackLogger()) writes through pino here,
 * so every line gets the same redaction and the same format.
 *
 * Lines go to stderr: stdout belongs to the CLI's results (`--json` prints one document there) and
 * to the console notifier's approval blocks. On a terminal they are pretty-printed in this process,
 * synchronously, so they keep their order with everything else written to the terminal.
 */
import pino from 'pino';
import pinoPretty from 'pino-pretty';
import { redact, redactString } from './redact.js';

import { LOG_FORMATS, type LogFormat } from './logFormats.js';

export { LOG_FORMATS, type LogFormat };

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Where log lines go: process.stderr, or a test's capture. */
export interface LogSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface LoggerOptions {
  /** Default: pretty when the sink is a terminal, else JSON lines. */
  format?: LogFormat;
  /** A pino level; default info. */
  level?: string;
  /** Default: process.stderr. */
  sink?: LogSink;
}

/**
 * Redact one serialised log line: message, bindings, serialised errors (message and stack) and
 * every nested field. Done on the line pino is about to write rather than on the arguments, because
 * that is the one place no path skips: `log.error(err)` takes its message from the error, child
 * bindings are serialised once at creation, and format arguments are interpolated late.
 */
export function redactLogLine(line: string): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return redactString(line);
  }
  return `${JSON.stringify(redact(record))}\n`;
}

/** Turns pino's JSON lines into the chosen format and hands them to the sink; the root logger can switch format later. */
class LogOutput {
  private prettify: ((line: string) => string) | null = null;

  constructor(private readonly sink: LogSink, format: LogFormat) {
    this.setFormat(format);
  }

  setFormat(format: LogFormat): void {
    this.prettify = format === 'pretty'
      ? pinoPretty.prettyFactory({
        colorize: Boolean(this.sink.isTTY) && !process.env.NO_COLOR,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,name,component',
        messageFormat: '{if component}{component}: {end}{msg}',
        singleLine: true,
      })
      : null;
  }

  write(line: string): void {
    this.sink.write(this.prettify ? this.prettify(line) : line);
  }
}

function build(output: LogOutput, level: string): pino.Logger {
  return pino({ name: 'tollgate', level, hooks: { streamWrite: redactLogLine } }, output);
}

export function createLogger(options: LoggerOptions = {}): pino.Logger {
  const sink = options.sink ?? process.stderr;
  return build(new LogOutput(sink, options.format ?? (sink.isTTY ? 'pretty' : 'json')), options.level ?? 'info');
}

/** The level from TOLLGATE_LOG_LEVEL, else LOG_LEVEL, else info; an unknown name falls back to info with a reason. */
export function logLevelFrom(env: NodeJS.ProcessEnv): { level: string; problem?: string } {
  const [name, value] = env.TOLLGATE_LOG_LEVEL ? ['TOLLGATE_LOG_LEVEL', env.TOLLGATE_LOG_LEVEL] : ['LOG_LEVEL', env.LOG_LEVEL];
  if (!value) return { level: 'info' };
  const level = value.toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return { level };
  return { level: 'info', problem: `${name}: unknown level ${JSON.stringify(value)} (expected one of ${LOG_LEVELS.join(', ')}); logging at info` };
}

/** The format from TOLLGATE_LOG_FORMAT, else pretty on a terminal and JSON otherwise (`--log-format` overrides both). */
export function logFormatFrom(env: NodeJS.ProcessEnv, isTTY: boolean): { format: LogFormat; problem?: string } {
  const value = env.TOLLGATE_LOG_FORMAT;
  const fallback: LogFormat = isTTY ? 'pretty' : 'json';
  if (!value) return { format: fallback };
  if ((LOG_FORMATS as readonly string[]).includes(value)) return { format: value as LogFormat };
  return { format: fallback, problem: `TOLLGATE_LOG_FORMAT: unknown log format ${JSON.stringify(value)} (expected ${LOG_FORMATS.join(' or ')}); using ${fallback}` };
}

const rootSink: LogSink = process.stderr;
const rootFormat = logFormatFrom(process.env, Boolean(rootSink.isTTY));
const rootLevel = logLevelFrom(process.env);
const rootOutput = new LogOutput(rootSink, rootFormat.format);

export const logger = build(rootOutput, rootLevel.level);
for (const problem of [rootLevel.problem, rootFormat.problem]) if (problem) logger.warn(problem);

export type Logger = typeof logger;

/** Switch the root logger (and every child) to `format`; what `--log-format` does. */
export function configureLogging(options: { format: LogFormat }): void {
  rootOutput.setFormat(options.format);
}
