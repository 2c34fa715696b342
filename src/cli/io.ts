import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ZodError } from 'zod';
import { TollgateInputError } from '../errors.js';
import { PolicyValidationError, formatIssue } from '../policy/index.js';

import { EXIT } from './exitCodes.js';

export { EXIT };

/** Thrown by commands to end with a given code after printing what they had to say. */
export class CliExit extends Error {
  constructor(readonly code: number, message = '') {
    super(message);
  }
}

/** `JSON` inline or `@path` to a JSON/YAML file; errors name the flag. */
export function readJsonArgument(value: string, flag: string): unknown {
  if (value.startsWith('@')) {
    const file = value.slice(1);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new TollgateInputError(`${flag}: cannot read ${file}`, flag);
    }
    try {
      return parseYaml(text);
    } catch (error) {
      throw new TollgateInputError(`${flag}: ${file} is not valid JSON or YAML: ${(error as Error).message.split('\n')[0]}`, flag);
    }
  }
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new TollgateInputError(`${flag}: not valid JSON (${(error as Error).message}); pass JSON inline or @file`, flag);
  }
}

/** Validate with a zod schema; the error names the flag and the field. */
export function parseArgument<T>(schema: { parse(input: unknown): T }, value: unknown, flag: string): T {
  try {
    return schema.parse(value);
  } catch (error) {
    if (error instanceof ZodError) {
      const issue = error.issues[0];
      const path = issue.path.map(String).join('.');
      throw new TollgateInputError(`${flag}${path ? ` ${path}` : ''}: ${issue.message}`, flag);
    }
    throw error;
  }
}

export const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** The one error-to-exit-code mapping: every command's failure ends here. */
export function exitCodeFor(error: unknown): { code: number; lines: string[] } {
  if (error instanceof CliExit) return { code: error.code, lines: error.message ? [error.message] : [] };
  if (error instanceof PolicyValidationError) return { code: EXIT.badInput, lines: error.issues.map(formatIssue) };
  if (error instanceof ZodError) return { code: EXIT.badInput, lines: error.issues.map((i) => `${i.path.map(String).join('.') || 'input'}: ${i.message}`) };
  const coded = error as { exitCode?: unknown; message?: string };
  if (typeof coded?.exitCode === 'number') return { code: coded.exitCode, lines: [String(coded.message)] };
  return { code: EXIT.outcome, lines: [error instanceof Error ? error.message : String(error)] };
}
