import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { xdgCache, xdgConfig, xdgState } from 'xdg-basedir';
import { seaPackageRoot } from './sea-root.js';

/** Every folder and file the tool reads or writes, derived once from HOME / XDG variables. */
export interface Paths {
  home: string;
  /** `$XDG_CONFIG_HOME/envkit`: config.yaml, user recipes, the managed env file. */
  config: string;
  configFile: string;
  userRecipes: string;
  envFile: string;
  /** `$XDG_STATE_HOME/envkit`: logs, journal, backups, sources, lock. */
  state: string;
  logs: string;
  journal: string;
  /** What each step last ran with (plan/inputs.ts). */
  inputs: string;
  backups: string;
  src: string;
  lock: string;
  /** `$XDG_CACHE_HOME/envkit`: downloads keyed by sha256. */
  cache: string;
  /** The recipes shipped with envkit. */
  bundledRecipes: string;
}

/**
 * The package's root folder (holds recipes/, schema/, package.json): the checkout or the installed package,
 * or, in the single-file setup, the folder its files were unpacked into (util/sea-root.ts).
 */
export const packageRoot = seaPackageRoot() ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The package's version (package.json). */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Paths for this process, from HOME and the XDG variables (so `HOME=$(mktemp -d)` isolates everything). */
export function defaultPaths(): Paths {
  const home = os.homedir();
  const config = path.join(xdgConfig ?? path.join(home, '.config'), 'envkit');
  const state = path.join(xdgState ?? path.join(home, '.local', 'state'), 'envkit');
  const cache = path.join(xdgCache ?? path.join(home, '.cache'), 'envkit');
  return {
    home,
    config,
    configFile: path.join(config, 'config.yaml'),
    userRecipes: path.join(config, 'recipes'),
    envFile: path.join(config, 'env.sh'),
    state,
    logs: path.join(state, 'logs'),
    journal: path.join(state, 'journal.jsonl'),
    inputs: path.join(state, 'inputs.json'),
    backups: path.join(state, 'backups'),
    src: path.join(state, 'src'),
    lock: path.join(state, 'run.lock'),
    cache,
    bundledRecipes: path.join(packageRoot, 'recipes'),
  };
}

/** Expands a leading `~/` (or a lone `~`) to the home folder; other paths are returned as they are. */
export function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}
