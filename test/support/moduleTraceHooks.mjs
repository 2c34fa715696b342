import { appendFileSync } from 'node:fs';

let file;
export function initialize(data) {
  file = data?.file;
}

const packageOf = (specifier) => {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
};

export async function resolve(specifier, context, next) {
  if (file && !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.includes(':')) appendFileSync(file, `${packageOf(specifier)}\n`);
  return next(specifier, context);
}
