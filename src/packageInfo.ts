import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Tollgate's version, from the nearest package.json up from this module that is tollgate's: the
 * same code runs from a clone (src/) and from an installed package (dist/src/).
 */
export function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'tollgate' && manifest.version) return manifest.version;
    }
    if (dirname(dir) === dir) throw new Error(`tollgate's package.json not found above ${fileURLToPath(import.meta.url)}`);
  }
}
