/**
 * `npx tsx bench/detectors.ts`: the security detectors against the seed's, on the labelled corpus
 * in test/fixtures/detectors/, and their throughput on 10,000-character inputs.
 *
 * 1. Precision and recall per detector, for Tollgate's detectors and for the seed's
 *    SecurityValidation (seed/governance-patterns.md) translated literally to JavaScript: its
 *    seven SQL regexes, its list of command characters, `os.path.normpath` with its `..` and `/`
 *    test, and `urlparse(url).netloc in whitelist`.
 * 2. Calls per second and MB/s of each detector on 10,000-character inputs: benign text, the same
 *    text with an attack at its very end (nothing short-circuits early), and an adversarial
 *    input built from what the scanner nests or leaves open. Throughput that holds on the
 *    adversarial input is the linear-time claim; test/unit/patterns/securityLinear.test.ts
 *    checks 100 KB inputs complete.
 * 3. canonicalResource on plain resources (the fast path, goal: well over 1M/s) and on ones that
 *    need decoding.
 *
 * Options: --budget-ms 400 (timed per cell, after a warm-up)   --out bench/results/detectors.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { canonicalResource } from '../src/policy/canonical.js';
import {
  detectCommandInjection, detectPathTraversal, detectSqlInjection, isDomainAllowed,
} from '../src/patterns/security.js';
import { CORPORA, loadCorpus, score, type CorpusName, type Example } from '../test/fixtures/detectors/corpus.js';

const { values: args } = parseArgs({
  options: {
    'budget-ms': { type: 'string', default: '400' },
    out: { type: 'string', default: 'bench/results/detectors.json' },
  },
});
const BUDGET_MS = Number(args['budget-ms']);
const SIZE = 10_000;

// ---- The seed's SecurityValidation, translated literally ----------------------------------------

/** `re.search(p, query, re.IGNORECASE)` for each of the seed's patterns. */
const SEED_SQL_PATTERNS = [/;\s*DROP\s+TABLE/i, /;\s*DELETE\s+FROM/i, /'\s*OR\s+'1'\s*=\s*'1/i, /--\s*$/i, /\/\*.*\*\//i, /;\s*EXEC\s*\(/i, /UNION\s+SELECT/i];
const seedSql = (query: string) => SEED_SQL_PATTERNS.some((pattern) => pattern.test(query));

const SEED_DANGEROUS = [';', '|', '&', '`', '$', '(', ')', '<', '>', '\n', '\\'];
const seedCommand = (command: string) => SEED_DANGEROUS.some((char) => command.includes(char));

/** Python's posixpath.normpath. */
function normpath(path: string): string {
  if (path === '') return '.';
  let initialSlashes = path.startsWith('/') ? 1 : 0;
  if (initialSlashes && path.startsWith('//') && !path.startsWith('///')) initialSlashes = 2;
  const comps: string[] = [];
  for (const comp of path.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp !== '..' || (!initialSlashes && comps.length === 0) || (comps.length > 0 && comps[comps.length - 1] === '..')) comps.push(comp);
    else if (comps.length > 0) comps.pop();
  }
  const joined = '/'.repeat(initialSlashes) + comps.join('/');
  return joined || '.';
}
const seedPath = (path: string) => {
  const normalized = normpath(path);
  return normalized.includes('..') || normalized.startsWith('/');
};

/** `urllib.parse.urlparse(url).netloc` (Python 3.12: leading C0/space stripped, tab/CR/LF removed). */
function netloc(url: string): string {
  let rest = url.replace(/^[\u0000-\u0020]+/, '').replace(/[\t\r\n]/g, '');
  const colon = rest.indexOf(':');
  if (colon > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(rest.slice(0, colon))) rest = rest.slice(colon + 1);
  if (!rest.startsWith('//')) return '';
  const end = rest.slice(2).search(/[/?#]/);
  return end < 0 ? rest.slice(2) : rest.slice(2, 2 + end);
}
const seedDomainAllowed = (url: string, whitelist: readonly string[]) => whitelist.includes(netloc(url));

// ---- Precision and recall -------------------------------------------------------------------

type Flags = (example: Example) => boolean;
const TOLLGATE: Record<CorpusName, Flags> = {
  sql: (example) => detectSqlInjection(example.input),
  command: (example) => detectCommandInjection(example.input),
  path: (example) => detectPathTraversal(example.input),
  domain: (example) => !isDomainAllowed(example.input, example.allowlist!),
};
const SEED: Record<CorpusName, Flags> = {
  sql: (example) => seedSql(example.input),
  command: (example) => seedCommand(example.input),
  path: (example) => seedPath(example.input),
  domain: (example) => !seedDomainAllowed(example.input, example.allowlist!),
};

const accuracy = CORPORA.map((name) => {
  const examples = loadCorpus(name);
  const tollgate = score(examples, TOLLGATE[name]);
  const seed = score(examples, SEED[name]);
  return {
    detector: name,
    attacks: examples.filter((example) => example.attack).length,
    benign: examples.filter((example) => !example.attack).length,
    tollgate: { precision: tollgate.precision, recall: tollgate.recall },
    seed: { precision: seed.precision, recall: seed.recall },
  };
});

// ---- Throughput -----------------------------------------------------------------------------

const repeatTo = (unit: string, size = SIZE) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
const withTail = (body: string, tail: string) => body.slice(0, SIZE - tail.length) + tail;

interface Case { detector: string; input: string; text: string; tollgate: (text: string) => boolean; seed: (text: string) => boolean }
const allowlist = ['api.example.com', '*.trusted.org'];
// One long query (a generated IN-list style filter), prose with the command detector's look-alikes
// (balanced quotes, so the tail is not quoted away), and a deep relative path.
const sqlText = `SELECT id, name FROM users WHERE ${repeatTo("(status = 'active' OR role = 'admin' OR name LIKE '%O''Brien%') AND ", SIZE - 60)}id > 0`;
const proseText = repeatTo('Total: $5 (see above); Tom & Jerry said "hi" and left. Meeting (2pm) | room 4 > room 3. ');
const pathText = repeatTo('reports/2024/q1/summary.v2/');
const urlText = `https://api.example.com/${repeatTo('segment/', SIZE - 24)}`;
const cases: Case[] = [
  { detector: 'sql', input: 'benign query', text: sqlText, tollgate: detectSqlInjection, seed: seedSql },
  { detector: 'sql', input: 'attack at the end', text: withTail(sqlText, "x' OR 'a' LIKE 'a"), tollgate: detectSqlInjection, seed: seedSql },
  { detector: 'sql', input: "adversarial: ' OR ( …", text: repeatTo("' OR ("), tollgate: detectSqlInjection, seed: seedSql },
  { detector: 'command', input: 'benign prose', text: proseText, tollgate: detectCommandInjection, seed: seedCommand },
  { detector: 'command', input: 'attack at the end', text: withTail(proseText, '%0acat /etc/passwd'), tollgate: detectCommandInjection, seed: seedCommand },
  { detector: 'command', input: 'adversarial: "$(a …', text: repeatTo('"$(a '), tollgate: detectCommandInjection, seed: seedCommand },
  { detector: 'path', input: 'benign path', text: pathText, tollgate: detectPathTraversal, seed: seedPath },
  { detector: 'path', input: 'overlong ../ first', text: `%c0%ae%c0%ae/${pathText}`.slice(0, SIZE), tollgate: detectPathTraversal, seed: seedPath },
  { detector: 'path', input: 'adversarial: %252e%252e%255c …', text: repeatTo('%252e%252e%255c'), tollgate: detectPathTraversal, seed: seedPath },
  { detector: 'domain', input: 'allowed host, long path', text: urlText, tollgate: (url) => !isDomainAllowed(url, allowlist), seed: (url) => !seedDomainAllowed(url, allowlist) },
  { detector: 'domain', input: 'adversarial: long host', text: `https://${repeatTo('a.', SIZE - 24)}trusted.org/`, tollgate: (url) => !isDomainAllowed(url, allowlist), seed: (url) => !seedDomainAllowed(url, allowlist) },
];

/** Calls per second of `run` over `inputs` (cycled), after a warm-up, timed for BUDGET_MS. */
function callsPerSecond(run: (text: string) => unknown, inputs: readonly string[], budgetMs = BUDGET_MS): number {
  const warmUntil = performance.now() + Math.min(200, budgetMs / 2);
  for (let i = 0; performance.now() < warmUntil; i++) run(inputs[i % inputs.length]);
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    for (let k = 0; k < 16; k++) run(inputs[(calls + k) % inputs.length]);
    calls += 16;
    elapsed = performance.now() - start;
  }
  return calls / (elapsed / 1000);
}

const throughput = cases.map((entry) => {
  const tollgate = callsPerSecond(entry.tollgate, [entry.text]);
  const seed = callsPerSecond(entry.seed, [entry.text], Math.min(BUDGET_MS, 200));
  return {
    detector: entry.detector, input: entry.input, chars: entry.text.length, flagged: entry.tollgate(entry.text),
    tollgate: { callsPerSec: tollgate, mbPerSec: (tollgate * entry.text.length) / 1e6 },
    seed: { callsPerSec: seed },
  };
});

const plainResources = ['dataset://public/sales/2024', 'dataset://phi/records', 'tool://sql_query', 'model://gpt-4', 'dataset://eu_citizens/a/b/c.csv'];
const encodedResources = ['dataset://public/%2e%2e/phi/records', 'dataset://public//..//phi/records', 'dataset://public/．．/phi/records', 'DATASET://phi/r%C3%A9sum%C3%A9'];
const canonicalisation = {
  plainPerSec: callsPerSecond(canonicalResource, plainResources, BUDGET_MS * 2),
  decodedPerSec: callsPerSecond(canonicalResource, encodedResources, BUDGET_MS),
};

// ---- Report -----------------------------------------------------------------------------------

const f3 = (value: number) => value.toFixed(3);
const compact = (value: number) => (value >= 1e6 ? `${(value / 1e6).toFixed(2)}M` : value >= 1e3 ? `${(value / 1e3).toFixed(1)}k` : value.toFixed(1));
function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

console.log(`Detector corpus (test/fixtures/detectors/): precision / recall; goal ≥ 0.95 each on the held-out corpus\n`);
console.log(table(
  ['detector', 'attacks', 'benign', 'tollgate P', 'tollgate R', 'seed P', 'seed R'],
  accuracy.map((row) => [row.detector, String(row.attacks), String(row.benign), f3(row.tollgate.precision), f3(row.tollgate.recall), f3(row.seed.precision), f3(row.seed.recall)]),
));
const load = loadavg()[0];
console.log(`\nThroughput on ${SIZE.toLocaleString('en')}-character inputs (one core${cpus()[0] ? `, ${cpus()[0].model.trim()}` : ''}; `
  + `load average ${load.toFixed(1)} on ${cpus().length} cores: figures shrink as it grows)\n`);
console.log(table(
  ['detector', 'input', 'flagged', 'tollgate calls/s', 'tollgate MB/s', 'seed calls/s'],
  throughput.map((row) => [row.detector, row.input, String(row.flagged), compact(row.tollgate.callsPerSec), row.tollgate.mbPerSec.toFixed(1), compact(row.seed.callsPerSec)]),
));
console.log(`\ncanonicalResource: ${compact(canonicalisation.plainPerSec)}/s on plain resources (goal: well over 1M/s), ${compact(canonicalisation.decodedPerSec)}/s on ones that need decoding`);

const out = resolve(args.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({
  date: new Date().toISOString(), node: process.version, v8: process.versions.v8, cpu: cpus()[0]?.model, cores: cpus().length, loadAverage: load,
  budgetMs: BUDGET_MS, accuracy, throughput, canonicalisation,
}, null, 2)}\n`);
console.log(`\nwrote ${args.out}`);
