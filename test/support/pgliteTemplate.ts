/** Initialised PGlite data directories, fast: shared by the test helpers and the benchmarks. */
import { PGlite } from '@electric-sql/pglite';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A freshly initialised PGlite data directory, made once per PGlite version and machine.
 * initdb in WebAssembly takes seconds (tens on a busy machine); copying takes milliseconds.
 */
async function pgliteTemplate(): Promise<string> {
  const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '../../node_modules/@electric-sql/pglite/package.json'), 'utf8'));
  const template = join(tmpdir(), `tollgate-pglite-template-${version}`);
  if (existsSync(join(template, 'PG_VERSION'))) return template;
  const building = mkdtempSync(join(tmpdir(), 'tollgate-pglite-building-'));
  const db = await PGlite.create({ dataDir: building });
  await db.close();
  try {
    renameSync(building, template);
  } catch {
    // Another test worker got there first: use theirs, unless theirs is unusable.
    if (!existsSync(join(template, 'PG_VERSION'))) return building;
    rmSync(building, { recursive: true, force: true });
  }
  return template;
}

/** A new, initialised but empty PGlite data directory (the caller removes it). */
export async function freshPgliteDataDir(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-pglite-'));
  cpSync(await pgliteTemplate(), dataDir, { recursive: true });
  return dataDir;
}
