import { describe, expect, it } from 'vitest';
import {
  detectCommandInjection, detectPathTraversal, detectSqlInjection, isDomainAllowed,
} from '../../../src/patterns/security.js';
import { CORPORA, loadCorpus, score, type CorpusName, type Example } from '../../fixtures/detectors/corpus.js';

/**
 * Precision and recall of each detector on the labelled corpus in test/fixtures/detectors/.
 * The corpus was written after the detectors, from attack catalogues and realistic benign
 * look-alikes; docs/resources-and-detectors.md says where each part comes from.
 *
 * Thresholds: the goal is 0.95 precision and recall on a held-out corpus that is not in this
 * repository. This corpus stands in for it, so the floor here is the goal plus a two-point
 * margin (0.97): a change that costs more than that on examples we can see has almost certainly
 * cost more on examples we cannot. Never lower it to make a change pass; fix the detector in
 * general (a failure is a class of input it misjudges, not a string to special-case) or, if a
 * label is wrong, correct it and say why in its note.
 */
const FLOOR = 0.97;
const MINIMUM_PER_CLASS = 200;

const detectors: Record<CorpusName, (example: Example) => boolean> = {
  sql: (example) => detectSqlInjection(example.input),
  command: (example) => detectCommandInjection(example.input),
  path: (example) => detectPathTraversal(example.input),
  domain: (example) => !isDomainAllowed(example.input, example.allowlist!),
};

const listed = (examples: readonly Example[]) =>
  examples.map((example) => `${JSON.stringify(example.input)} (${example.note})`).join('\n  ') || '(none)';

describe.each(CORPORA)('the %s corpus', (name) => {
  const examples = loadCorpus(name);

  it(`has at least ${MINIMUM_PER_CLASS} attacks and ${MINIMUM_PER_CLASS} benign look-alikes, each once`, () => {
    expect(examples.filter((example) => example.attack).length).toBeGreaterThanOrEqual(MINIMUM_PER_CLASS);
    expect(examples.filter((example) => !example.attack).length).toBeGreaterThanOrEqual(MINIMUM_PER_CLASS);
    const keys = examples.map((example) => JSON.stringify([example.input, example.allowlist ?? null]));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it(`scores precision and recall of at least ${FLOOR}`, () => {
    const result = score(examples, detectors[name]);
    const report = `${name}: precision ${result.precision.toFixed(3)}, recall ${result.recall.toFixed(3)}\n`
      + `false positives:\n  ${listed(result.falsePositives)}\nmisses:\n  ${listed(result.misses)}`;
    expect(result.precision, report).toBeGreaterThanOrEqual(FLOOR);
    expect(result.recall, report).toBeGreaterThanOrEqual(FLOOR);
  });
});
