import { describe, expect, it } from 'vitest';
import { REDACTED, redact, redactString } from '../../src/redact.js';

// Realistic shapes, assembled at run time so that no scanner mistakes this file for a leak.
const b64url = (length: number, seed = 'Zq7K-mP2_xR9vT4w') => Array.from({ length }, (_, i) => seed[(i * 7 + 3) % seed.length]).join('');
const alnum = (length: number, seed = 'aB3dE5fG7hJ9kL2mN4pQ6') => Array.from({ length }, (_, i) => seed[(i * 5 + 1) % seed.length]).join('');

const SECRETS: Record<string, string> = {
  'OpenAI project key': `sk-proj-${b64url(48)}`,
  'OpenAI legacy key': `sk-${alnum(48)}`,
  'Anthropic key': `sk-ant-api03-${b64url(86)}AA`,
  'GitHub personal token': `ghp_${alnum(36)}`,
  'GitHub OAuth token': `gho_${alnum(36)}`,
  'GitHub user-to-server token': `ghu_${alnum(36)}`,
  'GitHub server-to-server token': `ghs_${alnum(36)}`,
  'GitHub refresh token': `ghr_${alnum(36)}`,
  'GitHub fine-grained token': `github_pat_11${alnum(20)}_${alnum(59)}`,
  'Stripe live secret key': `sk_live_${alnum(24)}`,
  'Stripe restricted key': `rk_live_${alnum(24)}`,
  'Stripe test key': `sk_test_${alnum(24)}`,
  'Google API key': `AIza${b64url(35)}`,
  'Tollgate approver token': `tg_${b64url(43)}`,
  'Slack bot token': 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx',
  'Slack app token': 'xapp-1-A0123456789-1234567890123-abcdef0123456789',
  'AWS access key id': 'AKIAIOSFODNN7EXAMPLE',
  'AWS temporary key id': 'ASIAIOSFODNN7EXAMPLE',
  JWT: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  'unsigned JWT': 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.',
};

describe('secret values, wherever they appear', () => {
  for (const [name, secret] of Object.entries(SECRETS)) {
    it(`redacts a ${name} inside a sentence and keeps the sentence`, () => {
      expect(redactString(`calling the API with ${secret} failed`)).toBe(`calling the API with ${REDACTED} failed`);
      expect(JSON.stringify(redact({ note: `(${secret})`, list: [secret] }))).not.toContain(secret.slice(4, 20));
    });
  }

  it('finds secrets right after a percent-escape or a JSON escape', () => {
    for (const [name, secret] of Object.entries(SECRETS)) {
      expect(redactString(`text=deploy%20with%20${secret}%20now`), name).toBe(`text=deploy%20with%20${REDACTED}%20now`);
      expect(redactString(JSON.stringify({ note: `line one\n${secret}\tend` })), name).toBe(`{"note":"line one\\n${REDACTED}\\tend"}`);
    }
    expect(redactString(JSON.stringify({ h: 'x\nBearer abc\nBasic dXNlcjpwYXNz' }))).toBe(`{"h":"x\\nBearer ${REDACTED}\\nBasic ${REDACTED}"}`);
  });

  it('redacts Bearer and Basic credentials but keeps the scheme', () => {
    expect(redactString('curl -H "Authorization: Bearer abc.def-ghi"')).toBe(`curl -H "Authorization: Bearer ${REDACTED}"`);
    expect(redactString('Authorization: Basic dXNlcjpwYXNzd29yZA==')).toBe(`Authorization: Basic ${REDACTED}`);
    expect(redactString('authorization: basic YWxpY2U6czNjcjN0')).toBe(`authorization: basic ${REDACTED}`);
  });

  it('redacts the password of a URL in any scheme and keeps the rest of the address', () => {
    const cases: [string, string][] = [
      ['postgres://app:s3cr3t@db.internal:5432/app', `postgres://app:${REDACTED}@db.internal:5432/app`],
      ['mysql://root:hunter2@localhost/shop', `mysql://root:${REDACTED}@localhost/shop`],
      ['redis://:hunter2@cache:6379/0', `redis://:${REDACTED}@cache:6379/0`],
      ['amqp://guest:guest@rabbit:5672/%2f', `amqp://guest:${REDACTED}@rabbit:5672/%2f`],
      ['mongodb+srv://reader:p%40ss@cluster0.example.mongodb.net/db', `mongodb+srv://reader:${REDACTED}@cluster0.example.mongodb.net/db`],
      ['sftp://deploy:pa/ss@files.example.com', `sftp://deploy:${REDACTED}@files.example.com`],
    ];
    for (const [dsn, expected] of cases) expect(redactString(`connect ${dsn} refused`)).toBe(`connect ${expected} refused`);
    expect(redactString('next=postgres%3A%2F%2Fapp%3Ahun%2Bter2%40db%2Fapp&x=1')).toBe(`next=postgres%3A%2F%2Fapp%3A${REDACTED}%40db%2Fapp&x=1`);
  });

  it('redacts PEM private keys, complete, truncated or JSON-escaped, and keeps certificates', () => {
    const body = `${alnum(64)}\n${alnum(64)}\n${alnum(20)}==`;
    for (const type of ['RSA PRIVATE KEY', 'PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']) {
      const pem = `-----BEGIN ${type}-----\n${body}\n-----END ${type}-----`;
      expect(redactString(`key:\n${pem}\nend of file`)).toBe(`key:\n${REDACTED}\nend of file`);
    }
    const encrypted = `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F17F5316E2BAC89\n\n${body}\n-----END RSA PRIVATE KEY-----`;
    expect(redactString(encrypted)).toBe(REDACTED);
    const truncated = `-----BEGIN PRIVATE KEY-----\n${body}`;
    expect(redactString(`${truncated}`)).toBe(REDACTED);
    const escaped = JSON.stringify({ key: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----` });
    expect(redactString(escaped)).toBe(`{"key":"${REDACTED}"}`);
    const certificate = `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;
    expect(redactString(certificate)).toBe(certificate);
  });

  it('redacts Luhn-valid card numbers, bare or grouped, as strings or numbers', () => {
    for (const card of ['4111111111111111', '4111 1111 1111 1111', '4111-1111-1111-1111', '5500 0000 0000 0004', '3782 822463 10005', '6011111111111117', '4012888888881881']) {
      expect(redactString(`card ${card} declined`)).toBe(`card ${REDACTED} declined`);
    }
    expect(redact({ note: 4111111111111111 })).toEqual({ note: REDACTED });
  });

  it('redacts secrets assigned in query strings and JSON text, keeping the key', () => {
    expect(redactString('GET /cb?code=42&access_token=abc123&state=x')).toBe(`GET /cb?code=42&access_token=${REDACTED}&state=x`);
    expect(redactString('host=db user=app password=hunter2 sslmode=require')).toBe(`host=db user=app password=${REDACTED} sslmode=require`);
    expect(redactString('body: {"user":"ann","client_secret":"s3cr3t","db_password":"p\\"w"}'))
      .toBe(`body: {"user":"ann","client_secret":"${REDACTED}","db_password":"${REDACTED}"}`);
  });

  it('redacts the secret part of a Slack webhook URL', () => {
    expect(redactString('posting to https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX'))
      .toBe(`posting to https://hooks.slack.com/services/${REDACTED}`);
  });

  it('is idempotent: redacting twice changes nothing more', () => {
    const text = Object.values(SECRETS).join(' | ') + ' postgres://u:p@h password=x 4111 1111 1111 1111';
    const once = redactString(text);
    expect(redactString(once)).toBe(once);
  });
});

describe('text that only looks like a secret stays readable', () => {
  const KEEP = [
    'The quick brown fox passes the card to the author; basic setup takes a minute.',
    'Basic setup is free. Basic information about the plan.',
    'request 550e8400-e29b-41d4-a716-446655440000 at commit 9fceb02d0ae598e95dc970b74767f19372d61af8',
    'order 4111111111111112 (fails Luhn), ORD-2024-000123, invoice 1234567890123',
    'shipped 2024-06-01-0931, call +44 20 7946 0958, at 1718000000000 ms',
    'payload eyJhbGciOiJIUzI1NiJ9 is one base64 segment; SGVsbG8gd29ybGQ= is plain base64',
    'file eyJhbGciOiJIUzI1NiJ9.json',
    'scikit uses sk-learn; the task-1234 desk-top sk-short AIzaTooShort ghp_short tg_short',
    'see https://example.com:8443/path and http://localhost:3000/healthz and postgres://app@db/app',
    'max_tokens=4096 and tokens: 12, tokenizer cl100k',
    '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----',
  ];
  for (const text of KEEP) {
    it(`keeps: ${text.slice(0, 60)}`, () => expect(redactString(text)).toBe(text));
  }
});

describe('secret keys', () => {
  it('withholds the value under every secret key name, at any depth', () => {
    const names = [
      'password', 'passwd', 'pwd', 'pass', 'passphrase', 'secret', 'client_secret', 'token', 'refreshToken', 'accessToken',
      'api_key', 'apiKey', 'X-Api-Key', 'authorization', 'Authorization', 'auth', 'basic_auth', 'cookie', 'Set-Cookie',
      'private_key', 'privateKey', 'credential', 'awsCredentials', 'ssn', 'cvv', 'cvc', 'card', 'card_number', 'cardNumber',
      'creditCard', 'dbpassword', 'DB_PASSWORD',
    ];
    for (const name of names) {
      const input = { [name]: 'value-123', nested: { headers: { [name]: 'value-123' } }, list: [{ [name]: 'value-123' }] };
      expect(redact(input), name).toEqual({ [name]: REDACTED, nested: { headers: { [name]: REDACTED } }, list: [{ [name]: REDACTED }] });
    }
  });

  it('withholds whole objects and arrays under a secret key', () => {
    expect(redact({ credentials: { id: 'a', secret: 'b' }, cookies: ['sid=1', 'x=2'] })).toEqual({ credentials: REDACTED, cookies: REDACTED });
  });

  it('leaves words that merely contain a short secret name alone', () => {
    const input = { compass: 'north', author: 'ann', authority: 'cab', discard: 'pile', cardinality: 'many', bypass: 'no', passenger: 'bob', classname: 'x', pinned: 'yes' };
    expect(redact(input)).toEqual(input);
  });

  it('keeps counts under token-ish keys, but not numbers that are the secret', () => {
    expect(redact({ max_tokens: 4096, prompt_tokens: 12, auth_age_minutes: 30, token_count: 7, api_key_count: 2 }))
      .toEqual({ max_tokens: 4096, prompt_tokens: 12, auth_age_minutes: 30, token_count: 7, api_key_count: 2 });
    expect(redact({ password: 1234, pwd: 4321, cvv: 123, ssn: 123456789, card_number: 4111111111111111, secret: 42 }))
      .toEqual({ password: REDACTED, pwd: REDACTED, cvv: REDACTED, ssn: REDACTED, card_number: REDACTED, secret: REDACTED });
  });

  it('keeps booleans and null under secret keys: they reveal nothing', () => {
    expect(redact({ password_set: true, token: null, auth: false })).toEqual({ password_set: true, token: null, auth: false });
  });
});

describe('the walk', () => {
  it('keeps a __proto__ key as data and never touches a prototype', () => {
    const input = JSON.parse('{"__proto__": {"isAdmin": true, "token": "t"}, "a": {"__proto__": "x"}}');
    const out = redact(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { isAdmin?: unknown }).isAdmin).toBeUndefined();
    expect(({} as { isAdmin?: unknown }).isAdmin).toBeUndefined();
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
    expect(JSON.parse(JSON.stringify(out))).toEqual(JSON.parse(`{"__proto__": {"isAdmin": true, "token": "${REDACTED}"}, "a": {"__proto__": "x"}}`));
  });

  it('reduces errors and class instances to redacted strings', () => {
    class Conn { toString() { return 'Conn(postgres://u:pw@h/db)'; } }
    expect(redact({ err: new Error('login failed for xoxb-1-2'), conn: new Conn() }))
      .toEqual({ err: `Error: login failed for ${REDACTED}`, conn: `Conn(postgres://u:${REDACTED}@h/db)` });
  });

  it('withholds what is nested deeper than the walk goes, instead of overflowing the stack', () => {
    let deep: unknown = 'xoxb-1-2';
    for (let i = 0; i < 100_000; i += 1) deep = { next: deep };
    expect(() => JSON.stringify(redact(deep))).not.toThrow();
    expect(JSON.stringify(redact(deep))).not.toContain('xoxb');
  });
});

describe('linear time on hostile input', () => {
  // A size at which any quadratic or exponential path would run for hours; the suite's timeout fails it.
  const MB = 1 << 20;
  const repeat = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
  const HOSTILE = [
    'a', '-eyJ', 'eyJa.', 'x://u:', '://', ':/', 'Basic ', 'Bearer ', 'basic dXNlcjp', 'xoxb-', '-----BEGIN PRIVATE KEY-----',
    '-----BEGIN RSA ', '4 ', '4111-', '41111111111111111', 'sk-', 'sk-proj-', 'ghp_', 'github_pat_', 'tg_', 'AIza', 'password=',
    '"password":"', '"a', 'hooks.slack.com/services/', 'AKIA', 'password', '\\', ' ', '%3A%2F%2Fu%3A', '%3A%2F%2Fu%3Aa%2F', '%20xoxb-', '\\nxoxb-', '%20eyJa', '\\u0020github_pat_',
  ];
  for (const unit of HOSTILE) {
    it(`redacts 1 MB of ${JSON.stringify(unit)} repeated`, () => {
      const text = repeat(unit);
      expect(typeof redactString(text)).toBe('string');
    });
  }

  it('matches a 1 MB key against the key names', () => {
    expect(redact({ [repeat('A')]: 'v', [`${repeat('aB')}password`]: 'v' })).toEqual({ [repeat('A')]: 'v', [`${repeat('aB')}password`]: REDACTED });
  });
});
