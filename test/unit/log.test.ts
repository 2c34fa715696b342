import { afterEach, describe, expect, it, vi } from 'vitest';
import { configureLogging, createLogger, logFormatFrom, logLevelFrom, logger } from '../../src/log.js';
import { REDACTED, configureRedaction } from '../../src/redact.js';

/** A logger whose output a test can read, line by line. */
function capture(format: 'json' | 'pretty' = 'json', level = 'debug') {
  const chunks: string[] = [];
  const log = createLogger({ sink: { write: (text) => void chunks.push(text) }, format, level });
  return { log, text: () => chunks.join(''), records: () => chunks.join('').trim().split('\n').map((line) => JSON.parse(line)) };
}

describe('the logger redacts with the one policy', () => {
  afterEach(() => configureRedaction());

  it('redacts a nested cookie, secret keys at any depth and tokens in the message', () => {
    const { log, records } = capture();
    log.info({ req: { headers: { cookie: 'sid=abc', 'x-api-key': 'k1' } }, user: { password: 'p' }, count: 3 }, 'calling with xoxb-1-2 as the bot');
    const [record] = records();
    expect(record.req.headers).toEqual({ cookie: REDACTED, 'x-api-key': REDACTED });
    expect(record.user).toEqual({ password: REDACTED });
    expect(record.count).toBe(3);
    expect(record.msg).toBe(`calling with ${REDACTED} as the bot`);
  });

  it('redacts a DSN in an error message and its stack, whether the error is logged alone or as err', () => {
    const { log, records, text } = capture();
    const error = new Error('connect to postgres://app:hunter2@db:5432/app failed');
    log.error(error);
    log.warn({ err: error, attempt: 2 }, 'retrying');
    const [alone, asErr] = records();
    expect(alone.msg).toBe(`connect to postgres://app:${REDACTED}@db:5432/app failed`);
    expect(alone.err.stack).toContain(`postgres://app:${REDACTED}@db`);
    expect(asErr.err.message).toBe(`connect to postgres://app:${REDACTED}@db:5432/app failed`);
    expect(text()).not.toContain('hunter2');
  });

  it('redacts child bindings and interpolated arguments', () => {
    const { log, records, text } = capture();
    log.child({ component: 'x', token: 'tg_secret' }).info('token %s for %j', `sk-proj-${'a'.repeat(40)}`, { secret: 's3', ok: 1 });
    const [record] = records();
    expect(record.token).toBe(REDACTED);
    expect(record.component).toBe('x');
    expect(text()).not.toContain('s3"');
    expect(text()).not.toContain('aaaaaaaa');
  });

  it('keeps a __proto__ field as data', () => {
    const { log, records } = capture();
    log.info(JSON.parse('{"__proto__": {"polluted": true}}'), 'odd context');
    expect(Object.getOwnPropertyDescriptor(records()[0], '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('follows configureRedaction, like every other sink', () => {
    const { log, records } = capture();
    configureRedaction({ keys: ['employee_number'], patterns: ['E-[0-9]{4}'] });
    log.info({ employee_number: 'n', badge: 'E-1234' }, 'badge E-1234 used');
    expect(records()[0]).toMatchObject({ employee_number: REDACTED, badge: REDACTED, msg: `badge ${REDACTED} used` });
  });
});

describe('formats', () => {
  it('prints one readable line per entry in pretty format, redacted too', () => {
    const { log, text } = capture('pretty');
    log.child({ component: 'worker' }).info({ operation: 'op-1', token: 'abc' }, 'operation xoxb-1-2 submitted');
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: worker: operation \[REDACTED\] submitted \{"operation":"op-1","token":"\[REDACTED\]"\}$/);
  });

  it('prints JSON lines in json format', () => {
    const { log, records } = capture('json');
    log.info({ a: 1 }, 'hello');
    expect(records()).toEqual([expect.objectContaining({ level: 30, name: 'tollgate', a: 1, msg: 'hello' })]);
  });

  it('defaults to pretty on a terminal and JSON otherwise, with TOLLGATE_LOG_FORMAT to override', () => {
    expect(logFormatFrom({}, true)).toEqual({ format: 'pretty' });
    expect(logFormatFrom({}, false)).toEqual({ format: 'json' });
    expect(logFormatFrom({ TOLLGATE_LOG_FORMAT: 'json' }, true)).toEqual({ format: 'json' });
    expect(logFormatFrom({ TOLLGATE_LOG_FORMAT: 'xml' }, false))
      .toEqual({ format: 'json', problem: 'TOLLGATE_LOG_FORMAT: unknown log format "xml" (expected pretty or json); using json' });
  });

  it('takes the level from TOLLGATE_LOG_LEVEL, else LOG_LEVEL, and names a bad one', () => {
    expect(logLevelFrom({})).toEqual({ level: 'info' });
    expect(logLevelFrom({ LOG_LEVEL: 'debug' })).toEqual({ level: 'debug' });
    expect(logLevelFrom({ LOG_LEVEL: 'debug', TOLLGATE_LOG_LEVEL: 'WARN' })).toEqual({ level: 'warn' });
    expect(logLevelFrom({ LOG_LEVEL: 'verbose' }).problem).toBe('LOG_LEVEL: unknown level "verbose" (expected one of trace, debug, info, warn, error, fatal, silent); logging at info');
  });

  it('switches the root logger and its children between formats (what --log-format does)', () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    try {
      const child = logger.child({ component: 'cli' });
      configureLogging({ format: 'json' });
      child.error('first');
      configureLogging({ format: 'pretty' });
      child.error('second');
    } finally {
      spy.mockRestore();
      configureLogging({ format: 'json' });
    }
    expect(JSON.parse(written[0])).toMatchObject({ component: 'cli', msg: 'first' });
    expect(written[1]).toMatch(/ERROR: cli: second/);
  });
});
