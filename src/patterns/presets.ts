import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { didYouMean } from '../suggest.js';

/**
 * Where the preset policy sets live. tsc does not copy YAML into dist/, so a compiled build
 * falls back to the source tree next to it (dist/src/patterns -> src/patterns).
 */
const PRESET_DIRECTORIES = [
  new URL('./presets/', import.meta.url),
  new URL('../../../src/patterns/presets/', import.meta.url),
].map((url) => fileURLToPath(url));

const CASES_SUFFIX = '.cases.yaml';

export function presetDirectory(): string {
  const found = PRESET_DIRECTORIES.find((directory) => existsSync(directory));
  if (!found) throw new Error(`preset directory not found; looked in ${PRESET_DIRECTORIES.join(', ')}`);
  return found;
}

/** Names of the shipped presets (`enterprise`, `tenant-isolation`, ...), sorted. */
export function listPresets(): string[] {
  return readdirSync(presetDirectory())
    .filter((file) => file.endsWith('.yaml') && !file.endsWith(CASES_SUFFIX))
    .map((file) => file.slice(0, -'.yaml'.length))
    .sort();
}

function checkPreset(name: string): void {
  const names = listPresets();
  if (!names.includes(name)) {
    throw new RangeError(`unknown preset "${name}"${didYouMean(name, names)} (one of ${names.join(', ')})`);
  }
}

/** Absolute path of a preset's policy set, for loadPolicySet or `policy:` in tollgate.yaml. */
export function presetPath(name: string): string {
  checkPreset(name);
  return `${presetDirectory()}${name}.yaml`;
}

/** Absolute path of a preset's table of cases, for `tollgate policy test`. */
export function presetCasesPath(name: string): string {
  checkPreset(name);
  return `${presetDirectory()}${name}${CASES_SUFFIX}`;
}
