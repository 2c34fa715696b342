import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { PolicyValidationError, type PolicyIssue } from './errors.js';
import { validatePolicySet, type PathSegment } from './schema.js';
import type { PolicySet } from './types.js';

function lineOf(doc: Document, counter: LineCounter, segments: readonly PathSegment[]): number | undefined {
  // Walk up until a node exists: an unknown or missing key points at its parent object.
  for (let depth = segments.length; depth >= 0; depth--) {
    const node = segments.length === 0 ? doc.contents : doc.getIn(segments.slice(0, depth), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
    if (depth === 0 && isNode(doc.contents) && doc.contents.range) return counter.linePos(doc.contents.range[0]).line;
  }
  return undefined;
}

/** Parse policy text (YAML or JSON); errors carry the file name and line. */
export function parsePolicyText(text: string, file = '<input>'): PolicySet {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new PolicyValidationError(doc.errors.map((error): PolicyIssue => ({
      path: '',
      file,
      line: counter.linePos(error.pos[0]).line,
      message: `not valid YAML or JSON: ${error.message.split('\n')[0]}`,
    })));
  }
  const { set, issues } = validatePolicySet(doc.toJS());
  if (set) return set;
  throw new PolicyValidationError(issues.map(({ segments, path, message }) => ({ path, message, file, line: lineOf(doc, counter, segments) })));
}

/** Maps a path in a YAML/JSON text to its line, for messages about a valid set (lint findings, test cases). */
export function policyLineLocator(text: string): (segments: readonly PathSegment[]) => number | undefined {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  return (segments) => lineOf(doc, counter, segments);
}

/** Read a policy set from a .yaml/.yml/.json file. */
export function loadPolicySet(file: string): PolicySet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PolicyValidationError([{ path: '', file, message: code === 'ENOENT' ? 'no such file; check the path to the policy set' : `cannot read: ${(error as Error).message}` }]);
  }
  return parsePolicyText(text, file);
}
