/**
 * `npm run bench:policy`: Tollgate's policy engine against @cedar-policy/cedar-wasm and casbin on
 * the same requests, at 20, 1,000 and 10,000 rules (and 100,000 on request), then the worst case:
 * 10,000-character adversarial resources against the enterprise preset, and adversarial globs.
 * What is measured and how: bench/README.md.
 *
 * Options: --sizes 20,1000,10000,100000   --requests 10000   --budget-ms 4000 (per engine per size)
 *          --peers-max-rules 10000 (Cedar and casbin take minutes to set up and seconds per decision
 *            above this; larger sizes run Tollgate alone and say so)
 *          --full-agreement (check every request against the peers at every size; slow)
 *          --out bench/results/policy.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parsePolicySet } from '../src/index.js';
import { DEFAULT_SEED, generateWorkload } from './policyWorkload.js';
import { agreementPercent, checkAgreement, type AgreementReport } from './peers/agreement.js';
import { casbinEngine } from './peers/casbin.js';
import { cedarEngine } from './peers/cedar.js';
import type { DecisionEngine } from './peers/engine.js';
import { tollgateEngine } from './peers/tollgate.js';
import { ADVERSARIAL_GLOBS, WORST_CASE_LENGTH, enterpriseWorstCase, measureAdversarialGlobs, worstCaseRequests, type GlobFigures } from './policyWorstCase.js';

const now = process.hrtime.bigint;

interface Figures {
  decisionsPerSec: number;
  p50us: number;
  p99us: number;
  /** Consecutive decisions per latency sample: 1 = each call timed on its own. */
  latencyBatch: number;
  latencySamples: number;
  throughputCalls: number;
  throughputMs: number;
  allowedRatio: number;
}

/** Median cost of an empty `hrtime.bigint()` pair, subtracted from every latency sample. */
function timerOverheadNs(): number {
  const samples = new Float64Array(20_000);
  for (let i = 0; i < samples.length; i++) {
    const t0 = now();
    samples[i] = Number(now() - t0);
  }
  return percentile(samples, 0.5);
}

function percentile(samples: Float64Array, p: number): number {
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/**
 * Warm up, then (1) throughput: time chunks of a tight loop over the cycled requests until the time
 * share is spent; (2) latency: time batches of B consecutive decisions, B chosen so one batch takes
 * about 2 µs (B = 1, a single call, for any engine slower than 1 µs per decision), timer overhead
 * subtracted, per-decision time = batch time / B. Engines slower than 100 µs per decision get one
 * phase of single-call timings that gives both figures, so the budget yields more samples.
 */
function measure(engine: DecisionEngine, budgetMs: number, overheadNs: number): Figures {
  const budgetNs = BigInt(Math.round(budgetMs * 1e6));
  let cursor = 0;
  let allowed = 0;
  let decided = 0;
  const run = (count: number): bigint => {
    const t0 = now();
    allowed += engine.runBatch(cursor, count);
    const elapsed = now() - t0;
    decided += count;
    cursor = (cursor + count) % engine.requestCount;
    return elapsed;
  };

  // Warm-up: grow the chunk until one takes 5 ms, for at most 15% of the budget.
  const warmUntil = now() + budgetNs * 15n / 100n;
  let chunk = 1;
  let perCallNs = 0;
  while (now() < warmUntil) {
    const elapsed = run(chunk);
    perCallNs = Number(elapsed) / chunk;
    if (elapsed < 5_000_000n) chunk *= 2;
  }
  allowed = 0;
  decided = 0;

  const slow = perCallNs > 100_000;
  let throughputCalls = 0;
  let throughputNs = 0n;
  if (!slow) {
    const until = now() + budgetNs * 40n / 100n;
    const size = Math.max(1, Math.round(10_000_000 / perCallNs));
    while (now() < until) {
      throughputNs += run(size);
      throughputCalls += size;
    }
  }

  const batch = perCallNs < 1_000 ? Math.min(64, Math.max(1, Math.round(2_000 / perCallNs))) : 1;
  const latencyUntil = now() + (slow ? budgetNs * 85n / 100n : budgetNs * 45n / 100n);
  const samples: number[] = [];
  do {
    const elapsed = run(batch);
    if (slow) {
      throughputNs += elapsed;
      throughputCalls += 1;
    }
    samples.push(Math.max(0, Number(elapsed) - overheadNs) / batch);
  } while (now() < latencyUntil && samples.length < 500_000);

  const latency = Float64Array.from(samples);
  return {
    decisionsPerSec: throughputCalls / (Number(throughputNs) / 1e9),
    p50us: percentile(latency, 0.5) / 1e3,
    p99us: percentile(latency, 0.99) / 1e3,
    latencyBatch: batch,
    latencySamples: samples.length,
    throughputCalls,
    throughputMs: Number(throughputNs) / 1e6,
    allowedRatio: decided ? allowed / decided : 0,
  };
}

/** Requests checked against the peers per size: everything where that is quick, a strided sample where it is not. */
function agreementStride(rules: number, requests: number, full: boolean): number {
  if (full) return 1;
  const checked = rules <= 100 ? requests : rules <= 2_000 ? 1_000 : 100;
  return Math.max(1, Math.floor(requests / checked));
}

const { values: options } = parseArgs({
  options: {
    sizes: { type: 'string', default: '20,1000,10000' },
    requests: { type: 'string', default: '10000' },
    'budget-ms': { type: 'string', default: '4000' },
    'full-agreement': { type: 'boolean', default: false },
    'peers-max-rules': { type: 'string', default: '10000' },
    out: { type: 'string', default: 'bench/results/policy.json' },
  },
});
const sizes = options.sizes.split(',').map(Number);
const requestCount = Number(options.requests);
const budgetMs = Number(options['budget-ms']);
const peersMaxRules = Number(options['peers-max-rules']);
for (const [flag, value] of [['--sizes', sizes], ['--requests', [requestCount]], ['--budget-ms', [budgetMs]], ['--peers-max-rules', [peersMaxRules]]] as const) {
  if (value.some((n) => !Number.isFinite(n) || n <= 0)) {
    process.stderr.write(`${flag}: expected positive numbers, got ${JSON.stringify(options[flag.slice(2) as keyof typeof options])}\n`);
    process.exit(2);
  }
}

interface SizeResult {
  rules: number;
  requests: number;
  units: Record<string, number>;
  setupMs: Record<string, number>;
  agreement: AgreementReport;
  /** Peers left out at this size (--peers-max-rules), with why. */
  peersSkipped: string | null;
  cedarEvaluationErrors: number | null;
  tollgateFirstPassUsPerDecision: number;
  engines: Record<string, Figures & { speedupVsCedar: number | null }>;
}

const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const log = (line = '') => process.stdout.write(`${line}\n`);

const started = Date.now();
const loadAtStart = loadavg()[0];
const overheadNs = timerOverheadNs();
log(`policy bench: node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}, load average ${loadAtStart.toFixed(2)}, timer overhead ${fmt(overheadNs)} ns, budget ${fmt(budgetMs)} ms per engine per size`);
const results: SizeResult[] = [];

for (const rules of sizes) {
  const workload = generateWorkload({ rules, requests: requestCount });
  const set = parsePolicySet(workload.policy);
  const tollgate = tollgateEngine(set, workload.requests);
  const withPeers = rules <= peersMaxRules;
  const cedar = withPeers ? cedarEngine(set, workload.requests) : null;
  const casbin = withPeers ? await casbinEngine(set, workload.directory, workload.requests) : null;
  const peers = [cedar, casbin].filter((e): e is NonNullable<typeof e> => e !== null);
  const engines: DecisionEngine[] = [tollgate, ...peers];
  const peersSkipped = withPeers ? null : `cedar-wasm and casbin not run at ${rules} rules (above --peers-max-rules ${peersMaxRules}): their setup and decisions take minutes there`;

  const stride = agreementStride(rules, workload.requests.length, options['full-agreement']);
  const agreementStart = Date.now();
  const agreement = checkAgreement(tollgate, peers, stride);
  const agreementSeconds = (Date.now() - agreementStart) / 1e3;
  // A fresh engine's first pass over every request, after the agreement check has warmed the JIT:
  // its candidate index caches are still empty, so this is the cost of values never seen before.
  const fresh = tollgateEngine(set, workload.requests);
  const firstPassStart = now();
  fresh.runBatch(0, fresh.requestCount);
  const tollgateFirstPassUsPerDecision = Number(now() - firstPassStart) / 1e3 / fresh.requestCount;
  const { allow, denyByRule, denyByDefault } = agreement.decisions;
  log();
  log(peers.length
    ? `${fmt(rules)} rules: ${fmt(cedar!.policyUnits)} Cedar policies, ${fmt(casbin!.policyUnits)} casbin p lines; setup (compile) tollgate ${fmt(tollgate.setupMs, 1)} ms, cedar ${fmt(cedar!.setupMs, 1)} ms, casbin ${fmt(casbin!.setupMs, 1)} ms`
    : `${fmt(rules)} rules: setup (compile) tollgate ${fmt(tollgate.setupMs, 1)} ms; NOTE ${peersSkipped}`);
  log(`  agreement over ${fmt(agreement.checked)} of ${fmt(agreement.requests)} requests${stride > 1 ? ` (every ${stride}th)` : ''}, ${agreementSeconds.toFixed(1)} s: ` +
    `tollgate allow ${fmt(allow)} / deny by rule ${fmt(denyByRule)} / default deny ${fmt(denyByDefault)}; ` +
    (agreement.peers.length ? '' : 'no peers run at this size') + agreement.peers.map((p) => `${p.engine} ${agreementPercent(p).toFixed(2)}%${p.rulesChecked ? ` (deciding rule among Cedar's reasons: ${fmt(p.rulesAgreed ?? 0)}/${fmt(p.rulesChecked)})` : ''}`).join(', '));
  log(`  tollgate first pass over all requests (candidate caches empty): ${fmt(tollgateFirstPassUsPerDecision, 3)} µs/decision`);
  for (const peer of agreement.peers) {
    if (peer.disagreements.length) log(`  ${peer.engine} disagrees on requests ${peer.disagreements.join(', ')}: ${JSON.stringify(workload.requests[peer.disagreements[0]])}`);
  }

  const figures: Record<string, Figures> = {};
  for (const engine of engines) {
    figures[engine.name] = measure(engine, budgetMs, overheadNs);
    log(`  measured ${engine.name}: ${fmt(figures[engine.name].decisionsPerSec)} decisions/s`);
  }
  const cedarRate = cedar ? figures[cedar.name].decisionsPerSec : null;
  results.push({
    rules,
    requests: workload.requests.length,
    units: Object.fromEntries(engines.map((e) => [e.name, e.policyUnits])),
    setupMs: Object.fromEntries(engines.map((e) => [e.name, Number(e.setupMs.toFixed(2))])),
    agreement,
    peersSkipped,
    cedarEvaluationErrors: cedar ? cedar.errorCount() : null,
    tollgateFirstPassUsPerDecision,
    engines: Object.fromEntries(Object.entries(figures).map(([name, f]) => [name, { ...f, speedupVsCedar: cedarRate === null ? null : f.decisionsPerSec / cedarRate }])),
  });
}

log();
const header = ['engine', 'rules', 'decisions/s', 'p50 µs', 'p99 µs', 'vs cedar', 'latency sample'];
const rows = results.flatMap((r) => Object.entries(r.engines).map(([name, f]) => [
  name, fmt(r.rules), fmt(f.decisionsPerSec), fmt(f.p50us, f.p50us < 10 ? 3 : 1), fmt(f.p99us, f.p99us < 10 ? 3 : 1),
  f.speedupVsCedar === null ? 'not run' : `${fmt(f.speedupVsCedar, f.speedupVsCedar < 10 ? 2 : 0)}×`, `${fmt(f.latencySamples)} × ${f.latencyBatch}`,
]));
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
log(line(header));
log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows) log(line(row));
log('latency sample = samples × decisions per timed batch (per-decision time = batch time / batch size)');

// The worst case (issue 10): distinct 10,000-character adversarial resources against the enterprise
// preset, cycled like the workload above, plus a cold first pass; then adversarial globs alone.
const worstRequests = worstCaseRequests(requestCount);
const worst = enterpriseWorstCase(worstRequests);
const worstColdStart = now();
worst.runBatch(0, worst.requestCount);
const worstColdUs = Number(now() - worstColdStart) / 1e3 / worst.requestCount;
const worstFigures = measure(worst, budgetMs, overheadNs);
const globFigures: GlobFigures[] = measureAdversarialGlobs(budgetMs);
log();
log(`worst case: ${fmt(worstRequests.length)} distinct ${fmt(WORST_CASE_LENGTH)}-character adversarial resources (runs of "a", "/", "a/", near-misses of the preset's globs) against the enterprise preset`);
log(`  cycling: ${fmt(worstFigures.decisionsPerSec)} decisions/s, p50 ${fmt(worstFigures.p50us, 3)} µs, p99 ${fmt(worstFigures.p99us, 3)} µs; first pass (caches empty) ${fmt(worstColdUs, 3)} µs/decision`);
log(`  adversarial globs, one test each against ${fmt(WORST_CASE_LENGTH)}-character values:`);
for (const g of globFigures) log(`    ${g.pattern.padEnd(Math.max(...ADVERSARIAL_GLOBS.map((p) => p.length)))}  ${fmt(g.testsPerSec).padStart(10)} tests/s  p99 ${fmt(g.p99us, 1).padStart(8)} µs`);

const at = (rules: number) => results.find((r) => r.rules === rules);
const small = at(20)?.engines.tollgate;
const large = at(10_000)?.engines.tollgate;
const huge = at(100_000)?.engines.tollgate;
const compile10k = at(10_000)?.setupMs.tollgate;
const worstGlobP99 = Math.max(...globFigures.map((g) => g.p99us));
const goals = [
  small && { goal: 'tollgate decisions/s at 20 rules', target: '>= 2,000,000', actual: small.decisionsPerSec, met: small.decisionsPerSec >= 2e6 },
  large && { goal: 'tollgate decisions/s at 10,000 rules', target: '>= 1,000,000', actual: large.decisionsPerSec, met: large.decisionsPerSec >= 1e6 },
  huge && { goal: 'tollgate decisions/s at 100,000 rules', target: '>= 1,000,000', actual: huge.decisionsPerSec, met: huge.decisionsPerSec >= 1e6 },
  large && { goal: 'tollgate p50 at 10,000 rules (µs)', target: '< 2', actual: large.p50us, met: large.p50us < 2 },
  compile10k !== undefined && { goal: 'tollgate compile of 10,000 rules (ms)', target: '< 200', actual: compile10k, met: compile10k < 200 },
  ...results.filter((r) => r.engines.tollgate.speedupVsCedar !== null).map((r) => ({ goal: `tollgate speedup vs cedar-wasm at ${fmt(r.rules)} rules`, target: '> 100×', actual: r.engines.tollgate.speedupVsCedar!, met: r.engines.tollgate.speedupVsCedar! > 100 })),
  small && large && { goal: 'tollgate cost at 10,000 rules / cost at 20 rules', target: '< 500×', actual: small.decisionsPerSec / large.decisionsPerSec, met: small.decisionsPerSec / large.decisionsPerSec < 500 },
  ...results.filter((r) => r.agreement.peers.length > 0).map((r) => ({ goal: `agreement with both peers at ${fmt(r.rules)} rules (%)`, target: '100', actual: Math.min(...r.agreement.peers.map(agreementPercent)), met: r.agreement.peers.every((p) => p.agreed === p.checked) })),
  { goal: `worst case: p99 of the enterprise preset on ${fmt(WORST_CASE_LENGTH)}-character resources (µs)`, target: '< 1,000', actual: worstFigures.p99us, met: worstFigures.p99us < 1_000 },
  { goal: `worst case: p99 of one adversarial glob test on ${fmt(WORST_CASE_LENGTH)} characters (µs)`, target: '< 1,000', actual: worstGlobP99, met: worstGlobP99 < 1_000 },
].filter((g): g is { goal: string; target: string; actual: number; met: boolean } => Boolean(g));
log();
for (const g of goals) log(`${g.met ? 'MET   ' : 'MISSED'} ${g.goal}: ${fmt(g.actual, g.actual < 10 ? 3 : 0)} (target ${g.target})`);

const out = resolve(options.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({
  benchmark: 'policy',
  date: new Date().toISOString(),
  durationSeconds: (Date.now() - started) / 1e3,
  machine: {
    node: process.version, v8: process.versions.v8, cpu: cpus()[0]?.model ?? null, cores: cpus().length,
    platform: process.platform, arch: process.arch, totalMemoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    timerOverheadNs: overheadNs,
    // Other work on the machine skews every figure; these say how busy it was.
    loadAverage1m: { start: loadAtStart, end: loadavg()[0] },
  },
  settings: { sizes, requests: requestCount, budgetMsPerEnginePerSize: budgetMs, peersMaxRules, fullAgreement: options['full-agreement'], seed: DEFAULT_SEED },
  results,
  worstCase: {
    resourceLength: WORST_CASE_LENGTH,
    requests: worstRequests.length,
    enterprise: { ...worstFigures, firstPassUsPerDecision: worstColdUs },
    globs: globFigures,
  },
  goals,
}, null, 2)}\n`);
log(`\nwrote ${out} in ${((Date.now() - started) / 1e3).toFixed(0)} s`);
