import { httpFetch } from '../util/http.js';
import { bundleDownload } from './download/bundle.js';
import { downloadShell } from './download/shell.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { mustAnswer } from './reach.js';
import { unreachable } from '../util/reach.js';
import * as z from '../util/zod.js';
import { rewriteUrl } from '../lang/mirror.js';
import { scanTemplate } from '../lang/template.js';
import {
  cachePath,
  ChecksumMismatch,
  fetchToCache,
  fetchToCacheSha512,
  memoHash,
  parseChecksumFile,
} from './download/cache.js';
import { detectFormat, ExtractBlocked, formatFromName, readMarker, unpack, UNPACKER } from './download/extract.js';
import { which } from '../util/which.js';
import { lockedDownload } from './download/locked.js';
import type { DownloadConfig } from './download/config.js';
import { DEFAULT_RETRY, DownloadError, MAX_DOWNLOAD_BYTES, megabytes, size } from './download/fetch.js';
import { ArchiveRefused, ArchiveTooBig } from './download/guard.js';
import { parseSize } from '../util/size.js';
import { DestIsFolder, placeFile } from './download/place.js';
import { WriteFailed } from '../util/verified-write.js';
import { parseMode } from './file.js';
import { defineKind, StepFailure, type CheckResult, type ResolvedStep, type StepEnv } from './types.js';

const SHA256 = /^[0-9a-fA-F]{64}$/;
const URL_SCHEMES = /^(https?|file):\/\//i;
const hasTemplate = (s: string): boolean => s.includes('{{');

/**
 * A checksum that is not one, as written once rendered; when a var gave it (a draft's `TODO`), the var is named,
 * with how to set it: the line says what to change, not only what is wrong.
 */
function badChecksum(key: 'sha256' | 'sha512', raw: string, value: string, digits: number): Error {
  const vars = scanTemplate(raw).refs.map((r) => r.name);
  const own = vars.find((v) => !v.includes('.'));
  const from = vars.length ? ` (from ${vars.map((v) => `{{ ${v} }}`).join(', ')})` : '';
  const fix = own
    ? `: set ${own} to the file's ${key} (${key}sum FILE prints it), in the recipe's vars or with --set ${own}=…`
    : '';
  return new Error(`${key} ${JSON.stringify(value)}${from} is not ${digits} hex digits${fix}`);
}

const sizeSchema = z
  .union([z.int(), z.string()], { error: 'expected a size: bytes, or e.g. "500 MB", "8 GiB"' })
  .refine((v) => parseSize(v) !== undefined, {
    error: (iss) =>
      `bad size ${JSON.stringify(iss.input)}: write bytes (1048576) or a number and a unit ("500 MB", "8 GiB")`,
  });

const downloadSchema = z.strictObject({
  url: z
    .string()
    .min(1)
    .meta({
      description:
        "What to download: https://, http:// (flagged in the plan) or file://. The mirror profile's `urls.rewrite` applies.",
      examples: [
        'https://github.com/Kitware/CMake/releases/download/v{{ version }}/cmake-{{ version }}-linux-x86_64.tar.gz',
      ],
    }),
  sha256: z
    .string()
    .regex(/^(?:[0-9a-fA-F]{64}|.*\{\{.*)$/, 'sha256 is 64 hex digits (as `sha256sum FILE` prints)')
    .optional()
    .meta({
      description:
        "The file's SHA-256, 64 hex digits. One of sha256, sha512 or checksum-url is required unless `insecure: true`.",
      examples: ['72b7570e5c8593de6ac4ab433b73eab18c5fb328880460c86ce32608141ad5c1'],
    }),
  sha512: z
    .string()
    .regex(/^(?:[0-9a-fA-F]{128}|.*\{\{.*)$/, 'sha512 is 128 hex digits (as `sha512sum FILE` prints)')
    .optional()
    .meta({
      description: "The file's SHA-512, for vendors that publish only SHA-512 (Elastic).",
      examples: [
        'a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3',
      ],
    }),
  'checksum-url': z
    .string()
    .min(1)
    .optional()
    .meta({
      description:
        'A published checksum file (SHA-256 or SHA-512, `<hex>  <name>`) fetched when downloading and compared; for releases whose sums are not pinned in the recipe.',
      examples: [
        'https://artifacts.elastic.co/downloads/elasticsearch/elasticsearch-{{ version }}-linux-x86_64.tar.gz.sha512',
      ],
    }),
  dest: z
    .string()
    .min(1)
    .optional()
    .meta({
      description: 'The file to write (~/ allowed), copied from the shared download cache.',
      examples: ['{{ prefix }}/bin/bazel'],
    }),
  extract: z
    .string()
    .min(1)
    .optional()
    .meta({
      description:
        'A folder to unpack the archive into (tar.gz, tgz, tar.xz, tar.bz2, tar, zip); it is replaced whole, and marked with the sha256.',
      examples: ['{{ prefix }}/cmake'],
    }),
  strip: z
    .int()
    .min(0)
    .max(64)
    .optional()
    .meta({
      description: 'Leading path components to drop from each archive entry (as tar --strip-components).',
      examples: [1],
    }),
  mode: z
    .union([z.string(), z.number()])
    .refine((v) => parseMode(v) !== undefined, { message: 'bad file mode: write octal like "0755"' })
    .optional()
    .meta({
      description: 'Octal permissions for `dest`, e.g. "0755" for a program (quoted, or plain digits; see `file`).',
      examples: ['0755'],
    }),
  insecure: z
    .boolean()
    .optional()
    .meta({
      description: 'Allow a download without sha256 (nothing verifies it; the plan shows it in red).',
      examples: [true],
    }),
  'max-size': sizeSchema.optional().meta({
    description:
      'The largest download accepted (default 8 GiB): a bigger Content-Length fails before anything is read, a longer body is cut off there. Bytes, or "500 MB", "12 GiB".',
    examples: ['12 GiB'],
  }),
  'max-unpacked': sizeSchema.optional().meta({
    description:
      'The most an archive may unpack to (default 100 times the download, at least 512 MiB): more fails before anything is written (a gzip or zip bomb). Bytes, or "500 MB", "40 GiB".',
    examples: ['40 GiB'],
  }),
  'max-entries': z
    .int()
    .min(1)
    .optional()
    .meta({
      description: 'The most files, folders and links an archive may hold (default 1000000).',
      examples: [2000000],
    }),
});

type DownloadSpec = z.infer<typeof downloadSchema>;

export type { DownloadConfig };

/** An archive's limits when the recipe gives none: generous for real archives, small for a bomb. */
export const MAX_ENTRIES = 1_000_000;
const UNPACK_RATIO = 100;
const UNPACK_FLOOR = 512 * 2 ** 20;

const ROOT_UNSUPPORTED =
  'root: true is not supported by download steps: they write as you (download into a folder you own, then install it with a `run` step with root: true)';

const short = (sha: string): string => `${sha.slice(0, 12)}…`;
const octal = (m: number): string => m.toString(8).padStart(4, '0');

/** The file name a URL ends with, for messages. */
function fileName(url: string): string {
  try {
    return decodeURIComponent(path.posix.basename(new URL(url).pathname)) || url;
  } catch {
    return url;
  }
}

/** Whether `dest` already holds the file: a reason when not, undefined when it does. */
async function destProblem(c: DownloadConfig, env: StepEnv): Promise<string | undefined> {
  const dest = c.dest!;
  const st = await fs.stat(dest).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
    throw e;
  });
  if (!st) return `${dest} does not exist`;
  if (!st.isFile()) return `${dest} is not a file`;
  if (c.sha256) {
    const have = await memoHash(env.memo, dest, st);
    if (have !== c.sha256) return `${dest} has sha256 ${short(have)}, wants ${short(c.sha256)}`;
  } else if (c.sha512) {
    const have = await memoHash(env.memo, dest, st, 'sha512');
    if (have !== c.sha512) return `${dest} has sha512 ${short(have)}, wants ${short(c.sha512)}`;
  }
  if (c.mode !== undefined && (st.mode & 0o7777) !== c.mode)
    return `${dest} has mode ${octal(st.mode & 0o7777)}, wants ${octal(c.mode)}`;
  return undefined;
}

/** Whether `extract` is unpacked from this download: a reason when not, undefined when it is. */
async function extractProblem(c: DownloadConfig): Promise<string | undefined> {
  const dir = c.extract!;
  const m = await readMarker(dir);
  if (!m) return `${dir} is not unpacked yet`;
  if (c.sha256 ? m.sha256 !== c.sha256 : m.url !== c.url)
    return `${dir} holds another download (sha256 ${short(m.sha256)})`;
  if (m.strip !== c.strip) return `${dir} was unpacked with strip ${m.strip}, wants ${c.strip}`;
  return undefined;
}

/**
 * When unpacking cannot work here: the archive's kind (from the cached file's bytes, else the URL's extension)
 * needs a program (xz, bzip2) that is not on PATH. Nothing said when the kind is not known yet.
 */
async function missingUnpacker(c: DownloadConfig, env: StepEnv): Promise<{ blocked?: string }> {
  const cached = c.sha256 ? cachePath(env.paths.cache, c.sha256) : undefined;
  const format =
    (cached && (await fs.stat(cached).catch(() => null))
      ? await detectFormat(cached, fileName(c.url)).catch(() => undefined)
      : undefined) ?? formatFromName(fileName(c.url));
  const prog = format && UNPACKER[format];
  if (!prog || which(prog.cmd, env.processEnv.PATH ?? '')) return {};
  return {
    blocked: `unpacking a ${format} archive needs the \`${prog.cmd}\` program, which is not on PATH: install ${prog.pkg}`,
  };
}

/** Turns what can go wrong into a failure for people: what happened and what to do. */
function failure(e: unknown, url: string): unknown {
  if (e instanceof ChecksumMismatch) {
    return new StepFailure(e.message, {
      hint: 'nothing was kept. The URL served another file than the recipe pins: check the URL and the mirror before changing sha256',
    });
  }
  if (e instanceof DownloadError) return new StepFailure(`download of ${url} failed: ${e.message}`, { hint: e.hint });
  if (e instanceof ArchiveTooBig)
    return new StepFailure(`refused to unpack ${url}: ${e.message}`, {
      hint: "nothing was unpacked. If the archive really is that big, raise the download step's `max-unpacked` or `max-entries`",
    });
  if (e instanceof ArchiveRefused)
    return new StepFailure(`refused to unpack ${url}: ${e.message}`, {
      hint: 'the archive tries to write outside its folder; nothing was unpacked. Do not use this archive',
    });
  if (e instanceof ExtractBlocked || e instanceof DestIsFolder) return new StepFailure(e.message);
  if (e instanceof StepFailure) return e;
  if (e instanceof WriteFailed) return new StepFailure(e.message, { hint: e.hint });
  return new StepFailure(e instanceof Error ? e.message : String(e));
}

const HEAD_TIMEOUT_MS = 10_000;

/** The size a HEAD request states (a file:// URL: the file's), or undefined when it does not answer with one. */
async function headSize(url: string): Promise<number | undefined> {
  try {
    const u = new URL(url);
    if (u.protocol === 'file:') return (await fs.stat(u)).size;
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    const res = await httpFetch(u, {
      method: 'HEAD',
      redirect: 'follow',
      signal: AbortSignal.timeout(HEAD_TIMEOUT_MS),
    });
    const n = Number(res.headers.get('content-length'));
    return res.ok && Number.isSafeInteger(n) && n >= 0 && res.headers.has('content-length') ? n : undefined;
  } catch {
    return undefined;
  }
}

/** What a download fetched ahead logged, and how it failed: its step replays them in its turn. */
const fetchedEarly = new WeakMap<object, { lines: string[]; error?: unknown }>();
/** Files being fetched ahead, by sha256: a second step with the same file waits for the first. */
const fetchingEarly = new Map<string, Promise<void>>();

/** A pinned file into the cache ahead of its step, what it logs kept for the step (never rejects). */
async function fetchAhead(
  step: ResolvedStep<DownloadConfig>,
  sha256: string,
  env: StepEnv,
  signal: AbortSignal,
): Promise<void> {
  const c = step.config;
  if (await fs.stat(cachePath(env.paths.cache, sha256)).catch(() => undefined)) return;
  const url = rewriteUrl(env.profile, c.url);
  if (await unreachable(url, { env: env.processEnv, files: false })) return;
  const lines: string[] = [];
  fetchedEarly.set(step, { lines });
  try {
    const got = await fetchToCache(env.paths.cache, url, sha256, {
      retry: c.retry,
      signal: step.common.timeoutMs ? AbortSignal.any([signal, AbortSignal.timeout(step.common.timeoutMs)]) : signal,
      maxBytes: c.maxSize,
      deadlineMs: step.common.timeoutMs,
      log: (line) => lines.push(line),
      progress: () => undefined,
    });
    lines.push(`downloaded ${url} (${size(got.downloaded)}) while earlier steps ran, sha256 ${got.sha256}`);
  } catch (e) {
    // Stopped with the run: nothing to replay; the step fetches in its turn if it gets one.
    if (signal.aborted) fetchedEarly.delete(step);
    else fetchedEarly.set(step, { lines, error: e });
  }
}

/** `download`: a file, verified by sha256 and cached by it, placed at `dest` and/or unpacked into `extract`. */
export const downloadKind = defineKind<DownloadSpec, DownloadConfig>({
  kind: 'download',
  description:
    "Downloads a file (https, http, file://; through the mirror profile's urls.rewrite), verifies its sha256, keeps it in a cache shared by every recipe, and places it at `dest` and/or unpacks it into `extract` (tar.gz, tar.xz, tar.bz2, tar, zip), refusing archives that write outside their folder.",
  satisfiedWhen: '`dest` has that sha256 (and `mode`), and `extract` holds the marker of that sha256.',
  schema: downloadSchema,
  lint: (spec) => {
    const out: { path: (string | number)[]; message: string; hint?: string }[] = [];
    if (!hasTemplate(spec.url) && !URL_SCHEMES.test(spec.url))
      out.push({ path: ['url'], message: `url "${spec.url}" is not an https://, http:// or file:// URL` });
    const pins = [spec.sha256, spec.sha512, spec['checksum-url']].filter((x) => x !== undefined).length;
    if (pins > 1) out.push({ path: [], message: 'give one of sha256, sha512 and checksum-url, not several' });
    if (!pins && !spec.insecure) {
      out.push({
        path: [],
        message: 'a download needs sha256, the hash that verifies it',
        hint: 'copy it from the release page, or run `sha256sum FILE`; `insecure: true` skips verification',
      });
    }
    if (pins && spec.insecure)
      out.push({
        path: ['insecure'],
        message: '`insecure: true` is for downloads without sha256, and this one has one',
        hint: 'remove `insecure`',
      });
    if (!spec.dest && !spec.extract)
      out.push({ path: [], message: 'say where the download goes: `dest` (a file), `extract` (a folder), or both' });
    if (spec.strip !== undefined && !spec.extract)
      out.push({ path: ['strip'], message: '`strip` applies only with `extract`' });
    for (const k of ['max-unpacked', 'max-entries'] as const)
      if (spec[k] !== undefined && !spec.extract)
        out.push({ path: [k], message: `\`${k}\` applies only with \`extract\`` });
    if (spec.mode !== undefined && !spec.dest) out.push({ path: ['mode'], message: '`mode` applies only to `dest`' });
    return out;
  },
  resolve: (spec, t) => {
    const url = t.str(spec.url).trim();
    if (!URL_SCHEMES.test(url)) throw new Error(`url "${url}" is not an https://, http:// or file:// URL`);
    const sha256 = spec.sha256 === undefined ? undefined : t.str(spec.sha256).trim();
    if (sha256 !== undefined && !SHA256.test(sha256)) throw badChecksum('sha256', spec.sha256 ?? '', sha256, 64);
    const sha512 = spec.sha512 === undefined ? undefined : t.str(spec.sha512).trim();
    if (sha512 !== undefined && !/^[0-9a-fA-F]{128}$/.test(sha512))
      throw badChecksum('sha512', spec.sha512 ?? '', sha512, 128);
    const checksumUrl = spec['checksum-url'] === undefined ? undefined : t.str(spec['checksum-url']).trim();
    if (checksumUrl !== undefined && !URL_SCHEMES.test(checksumUrl))
      throw new Error(`checksum-url "${checksumUrl}" is not an https://, http:// or file:// URL`);
    return {
      url,
      sha256: sha256?.toLowerCase(),
      sha512: sha512?.toLowerCase(),
      checksumUrl,
      dest: spec.dest === undefined ? undefined : t.path(spec.dest),
      extract: spec.extract === undefined ? undefined : t.path(spec.extract),
      strip: spec.strip ?? 0,
      mode: spec.mode === undefined ? undefined : parseMode(spec.mode),
      insecure: spec.insecure ?? false,
      retry: DEFAULT_RETRY,
      maxSize: spec['max-size'] === undefined ? MAX_DOWNLOAD_BYTES : parseSize(spec['max-size'])!,
      maxUnpacked: spec['max-unpacked'] === undefined ? undefined : parseSize(spec['max-unpacked'])!,
      maxEntries: spec['max-entries'] ?? MAX_ENTRIES,
    };
  },
  describe: (step, env) => {
    const c = step.config;
    const url = rewriteUrl(env.profile, c.url);
    const to = c.dest ? ` to ${c.dest}${c.mode === undefined ? '' : ` (mode ${octal(c.mode)})`}` : '';
    const into = c.extract ? ` and unpack into ${c.extract}${c.strip ? ` (strip ${c.strip})` : ''}` : '';
    const warnings: string[] = [];
    if (c.insecure) warnings.push(`insecure: no checksum, nothing verifies ${fileName(url)}`);
    if (/^http:/i.test(url))
      warnings.push(`plain http: ${url} is not encrypted${c.sha256 ? ' (the sha256 still verifies the file)' : ''}`);
    if (step.common.root) warnings.push(ROOT_UNSUPPORTED);
    const sums = c.checksumUrl ? rewriteUrl(env.profile, c.checksumUrl) : undefined;
    const how = c.sha512 ? ', sha512 pinned' : sums ? ', checked against its published checksum' : '';
    return {
      summary: `download ${fileName(url)}${to}${into}${how}`,
      urls: sums ? [url, sums] : [url],
      files: [c.dest, c.extract].filter((p): p is string => !!p),
      ...(warnings.length ? { warnings } : {}),
    };
  },
  check: async (step, env): Promise<CheckResult> => {
    const c = step.config;
    const done: string[] = [];
    try {
      if (c.dest) {
        const why = await destProblem(c, env);
        if (why) return { state: 'unsatisfied', reason: why };
        done.push(
          c.sha256
            ? `${c.dest} has sha256 ${short(c.sha256)}`
            : c.sha512
              ? `${c.dest} has sha512 ${short(c.sha512)}`
              : c.checksumUrl
                ? `${c.dest} exists (verified when downloaded)`
                : `${c.dest} exists (not verified: insecure)`,
        );
      }
      if (c.extract) {
        const why = await extractProblem(c);
        if (why) return { state: 'unsatisfied', reason: why, ...(await missingUnpacker(c, env)) };
        done.push(`${c.extract} is unpacked${c.sha256 ? ` (sha256 ${short(c.sha256)})` : ''}`);
      }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return { state: 'unknown', reason: `cannot read ${err.path ?? c.dest ?? c.extract}: ${err.code ?? err.message}` };
    }
    return { state: 'satisfied', reason: done.join('; ') };
  },
  locked: lockedDownload,
  lock: async (step, env) => {
    const c = step.config;
    // The file as it is now: the dest itself, else (extract only) the archive its marker names, size from the cache.
    let sha256: string | undefined;
    let bytes: number | undefined;
    if (c.dest) {
      const st = await fs.stat(c.dest).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'ENOENT' ? new Error(`${c.dest} does not exist`) : e;
      });
      sha256 = await memoHash(env.memo, c.dest, st);
      bytes = st.size;
    } else if (c.extract) {
      sha256 = (await readMarker(c.extract))?.sha256;
      if (!sha256) throw new Error(`${c.extract} has no unpack marker`);
      bytes = (await fs.stat(cachePath(env.paths.cache, sha256)).catch(() => undefined))?.size;
    }
    return {
      url: c.url,
      ...(sha256 ? { sha256 } : {}),
      ...(bytes !== undefined ? { size: bytes } : {}),
      ...(c.dest ? { dest: c.dest } : {}),
      ...(c.extract ? { extract: c.extract } : {}),
    };
  },
  resolveLock: async (step, env) => {
    const c = step.config;
    // What the recipe pins (a checksum-url's hash is only known by fetching it), and the size the server states.
    const size = await headSize(rewriteUrl(env.profile, c.url));
    return {
      url: c.url,
      ...(c.sha256 ? { sha256: c.sha256 } : {}),
      ...(c.sha512 ? { sha512: c.sha512 } : {}),
      ...(size !== undefined ? { size } : {}),
      ...(c.dest ? { dest: c.dest } : {}),
      ...(c.extract ? { extract: c.extract } : {}),
      ...(!c.sha256 && !c.sha512 ? { note: 'no checksum in the recipe: known only after downloading' } : {}),
    };
  },
  bundle: (step, ctx) => bundleDownload(step.config, ctx),
  shell: (step, ctx) => {
    if (step.common.root) throw new Error(ROOT_UNSUPPORTED);
    return downloadShell(step.config, rewriteUrl(ctx.env.profile, step.config.url), ctx.q);
  },
  // A pinned file goes into the cache while earlier steps run; placing and unpacking wait for the step's turn,
  // which replays what the fetch logged, or its failure (the file is not asked for twice).
  early: async (step, env, signal) => {
    const c = step.config;
    if (!c.sha256 || step.common.root) return;
    // Another step of this run fetches the same file (two URLs, one sha256): the cache has it after that one.
    const same = fetchingEarly.get(c.sha256);
    if (same) return same;
    const work = fetchAhead(step, c.sha256, env, signal);
    fetchingEarly.set(c.sha256, work);
    await work.finally(() => fetchingEarly.delete(c.sha256 ?? ''));
  },
  apply: async (step, env) => {
    const c = step.config;
    if (step.common.root) throw new StepFailure(ROOT_UNSUPPORTED);
    const url = rewriteUrl(env.profile, c.url);
    const signal = step.common.timeoutMs
      ? AbortSignal.any([env.signal, AbortSignal.timeout(step.common.timeoutMs)])
      : env.signal;
    const early = fetchedEarly.get(step);
    fetchedEarly.delete(step); // a retry fetches again
    for (const line of early?.lines ?? []) env.log(line);
    const needDest = !!c.dest && (await destProblem(c, env)) !== undefined;
    const needExtract = !!c.extract && (await extractProblem(c)) !== undefined;
    if (!needDest && !needExtract) return;
    if (url !== c.url) env.log(`${c.url} → ${url} (mirror profile)`);
    // Behind http(s)_proxy the probe is skipped: the fetch goes through the proxy (util/http.ts), as curl's would.
    await mustAnswer([url, ...(c.checksumUrl ? [rewriteUrl(env.profile, c.checksumUrl)] : [])], env);
    const name = fileName(url);
    try {
      // A fetch ahead that failed fails here, as this fetch would have (and is reported the same way).
      if (early?.error) throw early.error;
      const fetchOpts = {
        retry: c.retry,
        signal,
        maxBytes: c.maxSize,
        deadlineMs: step.common.timeoutMs,
        log: env.log,
        progress: (n: number, total: number | undefined) =>
          env.progress(
            total ? `${name}: ${Math.floor((100 * n) / total)}% of ${megabytes(total)}` : `${name}: ${megabytes(n)}`,
          ),
      };
      let pin: { algorithm: 'sha256' | 'sha512'; digest: string } | undefined = c.sha256
        ? { algorithm: 'sha256', digest: c.sha256 }
        : c.sha512
          ? { algorithm: 'sha512', digest: c.sha512 }
          : undefined;
      if (c.checksumUrl) {
        const sumsUrl = rewriteUrl(env.profile, c.checksumUrl);
        // A sums file is a few lines: 4 MiB is generous, and an endless one stops there, not at the download's cap.
        const sums = await fetchToCache(env.paths.cache, sumsUrl, undefined, {
          ...fetchOpts,
          maxBytes: 4 << 20,
          progress: () => undefined,
        });
        const read = parseChecksumFile(await fs.readFile(sums.file, 'utf8'), fileName(url));
        await fs.rm(sums.file, { force: true });
        if ('problem' in read)
          throw new StepFailure(`${sumsUrl} ${read.problem}`, {
            hint: "check checksum-url (and the mirror profile's urls.rewrite)",
          });
        pin = read;
        env.log(`${fileName(sumsUrl)}: ${pin.algorithm} ${pin.digest}`);
      }
      const got =
        pin?.algorithm === 'sha512'
          ? await fetchToCacheSha512(env.paths.cache, url, pin.digest, fetchOpts)
          : await fetchToCache(env.paths.cache, url, pin?.digest, fetchOpts);
      env.log(
        got.downloaded
          ? `downloaded ${url} (${size(got.downloaded)}), sha256 ${got.sha256}`
          : `${name} is in the cache: ${got.file}`,
      );
      if (needDest) {
        await placeFile(got.file, c.dest!, c.mode);
        env.log(`wrote ${c.dest}`);
      }
      if (needExtract) {
        const format = await detectFormat(got.file, name);
        if (!format)
          throw new StepFailure(`cannot unpack ${name}: it is not a tar.gz, tar.xz, tar.bz2, tar or zip archive`, {
            hint: 'drop `extract` and use `dest` for a plain file',
          });
        const maxBytes = c.maxUnpacked ?? Math.max(UNPACK_FLOOR, UNPACK_RATIO * (await fs.stat(got.file)).size);
        await unpack(
          got.file,
          c.extract!,
          format,
          { sha256: got.sha256, url: c.url, strip: c.strip },
          { maxBytes, maxEntries: c.maxEntries },
          signal,
        ).catch((e: unknown) => {
          if (e instanceof ArchiveRefused || e instanceof ExtractBlocked || signal.aborted) throw e;
          throw new StepFailure(`cannot unpack ${name} (${format}): ${e instanceof Error ? e.message : String(e)}`);
        });
        env.log(`unpacked ${name} (${format}) into ${c.extract}`);
      }
    } catch (e) {
      throw failure(e, url);
    }
  },
  examples: [
    `- name: A CMake release, unpacked into the prefix\n  download:\n    url: https://example.com/cmake-3.28.3-linux-x86_64.tar.gz\n    sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n    extract: "{{ prefix }}/opt/cmake"\n    strip: 1`,
    `- name: A single program\n  download:\n    url: https://example.com/tools/jq-linux64\n    sha256: fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\n    dest: "{{ prefix }}/bin/jq"\n    mode: "0755"`,
  ],
});
