import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { PREVIEW_FILE, renderPreview } from '../../../slack/render-preview.js';

it('slack/preview.html is what the Block Kit builders render today (regenerate: npx tsx slack/render-preview.ts)', () => {
  expect(readFileSync(PREVIEW_FILE, 'utf8')).toBe(renderPreview());
});
