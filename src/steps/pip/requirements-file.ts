import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseRequirement } from './requirement.js';

/**
 * A pip step's `requirements:` / `constraints:` files, read as pip reads them (pip's "Requirements File
 * Format"): comments, `\` continuations, `-r`/`-c` includes relative to the including file, per-line
 * options (`--hash=…`) dropped. What envkit cannot judge from installed metadata — editable installs,
 * URLs and paths without a name, `${VAR}`s, unknown options — is kept aside as `opaque`, with its place.
 */

/** One meaningful line of a requirements file: a requirement, an include, an index option, or what we cannot judge. */
export type ReqLine =
  | { kind: 'spec'; spec: string; line: number }
  | { kind: 'include'; file: string; constraint: boolean; line: number }
  | { kind: 'option'; text: string; line: number }
  | { kind: 'opaque'; text: string; why: string; line: number };

/** Options that say where pip looks or how it picks (they do not change what "installed" means). */
const INDEX_OPTIONS =
  /^(-i|--index-url|--extra-index-url|--no-index|-f|--find-links|--trusted-host|--pre|--prefer-binary|--only-binary|--no-binary|--require-hashes|--use-feature)\b/;
/** Options a requirement line may carry after the spec. */
const PER_LINE = /\s+--(hash|config-settings|global-option|install-option)(=|\s+)\S+/g;

/** Parses one file's text into its lines (numbered as in the file: a continued line has its first line's number). Pure. */
export function parseRequirementsText(text: string): ReqLine[] {
  const out: ReqLine[] = [];
  const raw = text.split(/\r?\n/);
  for (let i = 0; i < raw.length; i++) {
    const line = i + 1;
    let s = raw[i]!;
    while (s.endsWith('\\') && i + 1 < raw.length) s = s.slice(0, -1) + raw[++i]!;
    s = s.replace(/(^|\s)#.*$/, '').trim();
    if (!s) continue;
    const inc = /^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(\S+)$/.exec(s);
    if (inc) {
      out.push({ kind: 'include', file: inc[2]!, constraint: inc[1] === '-c' || inc[1] === '--constraint', line });
      continue;
    }
    if (/^(-e|--editable)\b/.test(s)) {
      out.push({ kind: 'opaque', text: s, why: 'an editable install', line });
      continue;
    }
    if (INDEX_OPTIONS.test(s)) {
      out.push({ kind: 'option', text: s, line });
      continue;
    }
    if (s.startsWith('-')) {
      out.push({ kind: 'opaque', text: s, why: 'a pip option envkit does not judge', line });
      continue;
    }
    if (s.includes('${')) {
      out.push({ kind: 'opaque', text: s, why: 'pip expands its environment variables', line });
      continue;
    }
    const spec = s.replace(PER_LINE, '').trim();
    if (/^[./~]/.test(spec) || /^[a-z+]+:/i.test(spec)) {
      out.push({ kind: 'opaque', text: s, why: 'a path or URL without a name', line });
      continue;
    }
    out.push({ kind: 'spec', spec, line });
  }
  return out;
}

/** A requirements or constraints file a step names, absolute. */
export interface ReqFile {
  path: string;
  constraint: boolean;
}

/** Everything a step's files say, includes followed: requirements, constraints, and what cannot be judged. */
export interface StepRequirements {
  /** PEP 508 specs the step must have installed. */
  specs: string[];
  /** Specs that bind only what is installed (`-c`, `constraints:`). */
  constraints: string[];
  /** Lines envkit cannot judge, `file:line: text (why)`. */
  opaque: string[];
  /** Every file read, in order. */
  files: string[];
}

/** A file that cannot be read or holds an invalid requirement: where and why, in one line. */
export class RequirementsFileError extends Error {}

/** Reads the step's files and what they include (each file once; relative includes against the including file). */
export async function readRequirementFiles(files: readonly ReqFile[]): Promise<StepRequirements> {
  const out: StepRequirements = { specs: [], constraints: [], opaque: [], files: [] };
  const seen = new Set<string>();
  const visit = async (f: ReqFile, from?: string): Promise<void> => {
    if (seen.has(`${f.constraint}:${f.path}`)) return;
    seen.add(`${f.constraint}:${f.path}`);
    let text: string;
    try {
      text = await fs.readFile(f.path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw new RequirementsFileError(`cannot read ${f.path}${from ? ` (included from ${from})` : ''}: ${code}`);
    }
    out.files.push(f.path);
    for (const l of parseRequirementsText(text)) {
      const at = `${f.path}:${l.line}`;
      if (l.kind === 'include')
        await visit({ path: path.resolve(path.dirname(f.path), l.file), constraint: f.constraint || l.constraint }, at);
      else if (l.kind === 'opaque') out.opaque.push(`${at}: \`${l.text}\` (${l.why})`);
      else if (l.kind === 'spec') {
        const r = parseRequirement(l.spec);
        if (r instanceof Error) throw new RequirementsFileError(`${at}: ${r.message}`);
        (f.constraint ? out.constraints : out.specs).push(l.spec);
      }
    }
  };
  for (const f of files) await visit(f);
  return out;
}

/**
 * A digest of the files' contents and their includes, read at once when the step is resolved: the step's
 * inputs change with them (docs/architecture.md, inputs). A file that cannot be read counts as `missing`.
 */
export function requirementFilesDigest(files: readonly ReqFile[]): string {
  const h = createHash('sha256');
  const seen = new Set<string>();
  const visit = (p: string): void => {
    if (seen.has(p)) return;
    seen.add(p);
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch {
      h.update(`${p}\0missing\0`);
      return;
    }
    h.update(`${p}\0${text}\0`);
    for (const l of parseRequirementsText(text)) if (l.kind === 'include') visit(path.resolve(path.dirname(p), l.file));
  };
  for (const f of files) visit(f.path);
  return h.digest('hex').slice(0, 16);
}
