import type { CmakeConfig } from '../steps/cmake.js';
import type { PackageEntry } from '../steps/packages/managers.js';

/** A requirement of a pip install in notes: `name[extras]`, and its version spec (`==` pins become vars). */
export interface Requirement {
  name: string;
  extras: string;
  /** `==`, `>=`…, or '' for none. */
  op: string;
  version: string;
}

interface Base {
  /** The notes' lines this step came from (1-based, sorted). */
  lines: number[];
  /** Comments the draft writes above the step (TODOs, what was dropped, which mirror). */
  notes: string[];
  paragraph: number;
  section?: string;
  sectionLine?: number;
}

/** A step drafted from notes, before it is merged and written as YAML (draft.ts). */
export type DraftStep =
  | (Base & { kind: 'packages'; packages: PackageEntry[] })
  | (Base & {
      kind: 'pip';
      requirements: Requirement[];
      upgrade: boolean;
      venv?: string;
      python?: string;
      /** Profiles that serve the `-i` indexes, with the lines using each (suggested in a comment, not written in). */
      mirrors: Record<string, number[]>;
      /** An `-i` index no profile serves: written into the step. */
      indexUrl?: string;
      args: string[];
    })
  | (Base & { kind: 'venv'; path: string; python?: string; systemSitePackages: boolean })
  | (Base & { kind: 'git'; repo: string; dest?: string; ref?: string; submodules: boolean; depth?: number })
  | (Base & { kind: 'env'; set: Record<string, string>; path: string[]; prepend: Record<string, string[]> })
  | (Base & { kind: 'config'; path: string; set: Record<string, unknown> })
  | (Base & { kind: 'download'; url: string; dest?: string; extract?: string; strip?: number })
  | (Base & { kind: 'make'; dir: string; targets: string[]; vars: Record<string, string> })
  | (Base & { kind: 'cmake'; prefixes?: string[] } & Omit<CmakeConfig, 'jobs' | 'config'>)
  | (Base & { kind: 'file'; path: string; content: string })
  | (Base & { kind: 'run'; script: string[]; cwd?: string; root: boolean });

/** The kind of a drafted step. */
export type DraftKind = DraftStep['kind'];

/** A draft step of one kind. */
export type StepOf<K extends DraftKind> = Extract<DraftStep, { kind: K }>;
