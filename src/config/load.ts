/**
 * Reads the configuration file: size and encoding checks, YAML with line numbers, account ids kept as their source
 * text, then the zod schema. Every problem is gathered and thrown together in one ConfigError.
 */
import { readFile, stat } from 'node:fs/promises';
import { Document, LineCounter, Pair, isAlias, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import type { $ZodIssue } from 'zod/v4/core';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { KNOWN_KEYS, STRING_PATHS, configFileSchema, show, type ConfigFile } from './schema.js';
import { suggest } from './suggest.js';

export const MAX_CONFIG_BYTES = 1024 * 1024;
export const MAX_ALIAS_COUNT = 100;

type PathSegment = string | number;

export interface LoadedFile {
  path: string;
  data: ConfigFile;
}

const COPY_HINT = 'Start from accounts.example.yaml, which documents every key.';

/** Reads and validates the file at `path`; messages call it `name` (as the user wrote it). Throws ConfigError. */
export async function loadConfigFile(path: string, name: string = path): Promise<LoadedFile> {
  const text = await readText(path, name);
  return { path, data: parseConfigText(text, name) };
}

async function readText(file: string, path: string): Promise<string> {
  let bytes: Buffer;
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new ConfigError(`Cannot read ${path}: it is a directory`);
    if (info.size > MAX_CONFIG_BYTES) {
      throw new ConfigError(`${path} is too large (${info.size} bytes; the limit is 1 MB)`, { suggestion: COPY_HINT });
    }
    bytes = await readFile(file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`Cannot read ${path}: ${describeFsError(err)}`, { cause: err });
  }
  // The size can change between stat and read.
  if (bytes.length > MAX_CONFIG_BYTES) {
    throw new ConfigError(`${path} is too large (${bytes.length} bytes; the limit is 1 MB)`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (err) {
    throw new ConfigError(`${path} is not UTF-8 text`, { cause: err, suggestion: COPY_HINT });
  }
}

function describeFsError(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/** Parses and validates configuration text; `file` is only used in messages. Throws ConfigError. */
export function parseConfigText(text: string, file: string): ConfigFile {
  if (text.trim() === '') {
    throw new ConfigError(`${file} is empty: expected a mapping of settings such as "regions:" and "accounts:"`, {
      suggestion: COPY_HINT,
    });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): Pick<ConfigProblem, 'line' | 'col'> => {
    if (offset === undefined) return {};
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  };

  if (doc.errors.length > 0) {
    const problems = doc.errors.map((err): ConfigProblem => ({
      file,
      ...at(err.pos[0]),
      path: '',
      message: firstLine(err.message),
    }));
    const first = problems[0];
    throw new ConfigError(
      `${file} is not valid YAML${first?.line === undefined ? '' : ` (line ${first.line}, column ${first.col})`}`,
      { problems },
    );
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    throw new ConfigError(`${file} has no settings (only comments)`, { suggestion: COPY_HINT });
  }
  if (!isMap(root)) {
    throw new ConfigError(`${file} must be a mapping of settings`, {
      problems: [{ file, ...at(root.range?.[0]), path: '', message: `expected a mapping, got ${nodeKind(root)}` }],
      suggestion: COPY_HINT,
    });
  }

  keepSourceText(root, [], doc);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new ConfigError(`${file} uses too many YAML aliases (more than ${MAX_ALIAS_COUNT} expansions)`, {
      cause: err,
      suggestion: 'Write the values out instead of expanding aliases of aliases.',
    });
  }

  const problems: ConfigProblem[] = [];
  const locate = (path: readonly PathSegment[], keyOnly = false) => at(offsetOf(doc, path, keyOnly));

  const result = configFileSchema.safeParse(data, { error: friendlyMessage });
  if (!result.success) {
    for (const raw of flattenIssues(result.error.issues, [])) {
      problems.push({
        file,
        ...locate(raw.path, raw.unknownKey),
        path: formatPath(raw.path),
        message: raw.message,
        ...(raw.didYouMean === undefined ? {} : { didYouMean: raw.didYouMean }),
      });
    }
  }
  problems.push(...duplicateAccounts(data, file, locate));

  if (problems.length > 0 || !result.success) {
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    throw new ConfigError(`${file} has ${count}`, { problems });
  }
  return result.data;
}

/** One problem for each account id listed a second time, naming the line of the first. */
function duplicateAccounts(
  data: unknown,
  file: string,
  locate: (path: readonly PathSegment[]) => Pick<ConfigProblem, 'line' | 'col'>,
): ConfigProblem[] {
  if (typeof data !== 'object' || data === null || !('accounts' in data) || !Array.isArray(data.accounts)) return [];
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, number>();
  data.accounts.forEach((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null || !('id' in entry) || typeof entry.id !== 'string') return;
    const first = seen.get(entry.id);
    if (first === undefined) {
      seen.set(entry.id, index);
      return;
    }
    const firstLine = locate(['accounts', first, 'id']).line;
    problems.push({
      file,
      ...locate(['accounts', index, 'id']),
      path: formatPath(['accounts', index, 'id']),
      message: `duplicate account id "${entry.id}"${firstLine === undefined ? '' : ` (first on line ${firstLine})`}`,
    });
  });
  return problems;
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}

function nodeKind(node: unknown): string {
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return show(node.value);
  return 'something else';
}

// ---- account ids and other string-only values keep the text the YAML wrote ------------------------------------

function patternOf(path: readonly PathSegment[]): string {
  return path
    .map((segment) => (typeof segment === 'number' ? '[]' : `.${segment}`))
    .join('')
    .replace(/^\./, '');
}

function keepSourceText(node: unknown, path: PathSegment[], doc: Document): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key === 'string') keepSourceText(pair.value, [...path, key], doc);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => keepSourceText(item, [...path, index], doc));
  } else if (isScalar(node) && typeof node.value === 'number' && STRING_PATHS.includes(patternOf(path))) {
    // YAML reads 012345678901 as the number 12345678901; an account id must keep every digit it was written with.
    node.value = node.source ?? String(node.value);
  }
}

// ---- zod issues → problems --------------------------------------------------------------------------------------

interface RawProblem {
  path: PathSegment[];
  message: string;
  didYouMean?: string;
  unknownKey?: boolean;
}

function toSegments(path: readonly PropertyKey[]): PathSegment[] {
  return path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
}

function flattenIssues(issues: readonly $ZodIssue[], base: PathSegment[]): RawProblem[] {
  const out: RawProblem[] = [];
  for (const issue of issues) {
    const path = [...base, ...toSegments(issue.path)];
    if (issue.code === 'unrecognized_keys') {
      const known = KNOWN_KEYS[patternOf(path)] ?? [];
      for (const key of issue.keys) {
        const didYouMean = suggest(key, known);
        out.push({
          path: [...path, key],
          message: `unknown key "${key}"`,
          unknownKey: true,
          ...(didYouMean === undefined ? {} : { didYouMean }),
        });
      }
    } else if (issue.code === 'invalid_union') {
      // When exactly one alternative matched the value's type (its issues lie deeper than the union itself),
      // report that alternative's issues: "unknown region" beats "expected all or a list".
      const deeper = issue.errors.filter(
        (branch) => branch.length > 0 && branch.every((inner) => inner.path.length > 0),
      );
      const only = deeper.length === 1 ? deeper[0] : undefined;
      if (only !== undefined) out.push(...flattenIssues(only, path));
      else out.push({ path, message: issue.message });
    } else {
      const params = issue.code === 'custom' ? issue.params : undefined;
      const didYouMean = typeof params?.didYouMean === 'string' ? params.didYouMean : undefined;
      out.push({ path, message: issue.message, ...(didYouMean === undefined ? {} : { didYouMean }) });
    }
  }
  return out;
}

type RawIssue = Parameters<NonNullable<Parameters<typeof configFileSchema.safeParse>[1]>['error'] & object>[0];

/** Plain-English messages for zod's built-in checks; custom checks carry their own. */
function friendlyMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${article(issue.expected)}, got ${show(issue.input)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}, got ${show(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'array')
        return `needs at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return `must not be shorter than ${String(issue.minimum)} characters`;
      return `must be at least ${String(issue.minimum)}, got ${show(issue.input)}`;
    case 'too_big':
      if (issue.origin === 'array') return `has more than ${String(issue.maximum)} items`;
      if (issue.origin === 'string') return `must not be longer than ${String(issue.maximum)} characters`;
      return `must be at most ${String(issue.maximum)}, got ${show(issue.input)}`;
    default:
      return undefined;
  }
}

function article(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'int':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    default:
      return expected;
  }
}

// ---- paths and positions ----------------------------------------------------------------------------------------

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/**
 * The source offset for a path: the value's start, or the key's when `keyOnly` (unknown keys) or when the value
 * is empty. Falls back to the deepest ancestor that exists.
 */
function offsetOf(doc: Document, path: readonly PathSegment[], keyOnly: boolean): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let keyNode: unknown;
    if (isMap(node) && typeof segment === 'string') {
      const pair = node.items.find((item: Pair) => isScalar(item.key) && item.key.value === segment);
      if (pair === undefined) return offset;
      keyNode = pair.key;
      next = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
    } else {
      return offset;
    }
    const last = i === path.length - 1;
    const useKey = (last && keyOnly) || next === null || next === undefined || isEmptyScalar(next);
    offset = useKey ? (rangeStart(keyNode) ?? offset) : (rangeStart(next) ?? offset);
    node = next;
  }
  return offset;
}

/** `key:` with nothing after it: YAML makes an empty null scalar, positioned after the colon. */
function isEmptyScalar(node: unknown): boolean {
  return (
    isScalar(node) &&
    node.value === null &&
    node.range !== undefined &&
    node.range !== null &&
    node.range[0] === node.range[1]
  );
}

function rangeStart(node: unknown): number | undefined {
  if (typeof node !== 'object' || node === null || !('range' in node)) return undefined;
  const range = (node as Node).range;
  return range?.[0];
}
