/**
 * Hot reload: the service watches its policy files (the enforced set, a rollout's two, the shadow
 * set). A valid new version replaces the old one for new evaluations, and is logged and audited
 * (`policy_loaded`); an invalid one is refused with its validation errors in the log, and the old
 * version stays in force. Running workflows keep the decision they already made.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { PolicyInForce, PolicyRole } from '../patterns/policyInForce.js';
import type { PolicyEngine } from '../policy/engine.js';
import { PolicyValidationError, formatIssue } from '../policy/errors.js';

export interface PolicyLoaded {
  role: PolicyRole;
  file: string;
  name: string;
  version: string;
  previous: string;
}

export interface PolicyReloadOptions {
  load(file: string): PolicyEngine;
  onLoaded(loaded: PolicyLoaded): void | Promise<void>;
  onRefused(refused: { role: PolicyRole; file: string; problems: string[] }): void;
  /** Editors write a file in several steps; wait this long after the last event (default 250 ms). */
  debounceMs?: number;
}

/** Start watching; returns a function that stops. */
export function watchPolicies(policies: PolicyInForce, options: PolicyReloadOptions): () => void {
  const watchers: FSWatcher[] = [];
  const timers = new Map<PolicyRole, NodeJS.Timeout>();
  for (const { role, file } of policies.describe()) {
    const reload = async () => {
      const current = policies.get(role);
      let next: PolicyEngine;
      try {
        next = options.load(file);
      } catch (error) {
        const problems = error instanceof PolicyValidationError ? error.issues.map(formatIssue) : [`${file}: ${(error as Error).message}`];
        return options.onRefused({ role, file, problems });
      }
      if (next.version === current.version) return;
      policies.replace(role, next);
      await options.onLoaded({ role, file, name: next.policySet.name, version: next.version, previous: current.version });
    };
    // The directory, not the file: editors and `mv` replace the file, which ends a watch on it.
    const watcher = watch(dirname(file), (_event, changed) => {
      if (changed !== null && changed !== basename(file)) return;
      clearTimeout(timers.get(role));
      timers.set(role, setTimeout(() => void reload().catch((error: Error) => options.onRefused({ role, file, problems: [`${file}: ${error.message}`] })), options.debounceMs ?? 250));
    });
    watcher.on('error', () => undefined);
    watchers.push(watcher);
  }
  return () => {
    for (const watcher of watchers) watcher.close();
    for (const timer of timers.values()) clearTimeout(timer);
  };
}
