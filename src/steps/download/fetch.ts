import { httpFetch } from '../../util/http.js';
import { proxyVar, shownUrl } from '../../util/reach.js';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatDuration } from '../../util/duration.js';
import { formatSize } from '../../util/size.js';

/** How a download retries network errors and 5xx answers: `tries` in all, waiting base, 2×base, 4×base… between. */
export interface RetryPolicy {
  tries: number;
  baseDelayMs: number;
}

/** The policy every download step uses (its config carries it, so a test can pass a faster one). */
export const DEFAULT_RETRY: RetryPolicy = { tries: 3, baseDelayMs: 500 };

/** A transfer that receives nothing for this long is dropped (and tried again). */
export const STALL_MS = 60_000;

/**
 * The largest download by default (a recipe's `max-size` changes it): above the biggest real artifacts a
 * recipe fetches (a CUDA runfile is about 4.3 GB, Anaconda 1 GB), and below what fills a disk by surprise.
 */
export const MAX_DOWNLOAD_BYTES = 8 * 2 ** 30;

/** How long a download may take in all, tries included, when its step has no `timeout:`. */
export const DEADLINE_MS = 6 * 3600_000;

/**
 * A transfer slower than this (bytes over the window) is dropped for good: a server that trickles keeps
 * the stall timer happy for ever. 1 kB/s over a minute is far below any working link.
 */
export const MIN_SPEED = { bytes: 60_000, windowMs: 60_000 };

/** Progress is reported at most this often. */
export const PROGRESS_MS = 250;

/** A failed download, saying whether trying again may help, and how to fix it when it will not. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

export interface FetchOptions {
  retry: RetryPolicy;
  signal?: AbortSignal;
  log(line: string): void;
  /** Bytes so far and the total when known; called at most every PROGRESS_MS. */
  progress?(received: number, total: number | undefined): void;
  stallMs?: number;
  /** The most bytes to accept (default MAX_DOWNLOAD_BYTES): a bigger Content-Length fails before reading. */
  maxBytes?: number;
  /** All tries together must end within this (default DEADLINE_MS). */
  deadlineMs?: number;
  minSpeed?: { bytes: number; windowMs: number };
}

/** The hint of a download that is bigger than its cap. */
const RAISE_MAX = "if the file really is that big, raise the download step's `max-size`";

/** `12.3 MB` (progress is in MB whatever the size). */
export function megabytes(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** `512 bytes`, `34.1 kB`, `12.3 MB`. */
export function size(n: number): string {
  return n < 1e3 ? `${n} bytes` : n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : megabytes(n);
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Downloads `url` (https, http or file) into `file`, hashing it on the way; follows redirects; retries network
 * errors, broken transfers and 5xx answers with backoff. Returns the sha256 and size of what it wrote.
 */
export async function downloadTo(
  url: string,
  file: string,
  opts: FetchOptions,
): Promise<{ sha256: string; bytes: number }> {
  const deadlineMs = opts.deadlineMs ?? DEADLINE_MS;
  const deadline = AbortSignal.timeout(deadlineMs);
  const o = { ...opts, signal: opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline };
  let received = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await once(url, file, o, (n) => (received = n));
    } catch (e) {
      if (deadline.aborted && !opts.signal?.aborted) {
        throw new DownloadError(
          `it did not finish within ${formatDuration(deadlineMs)} (${size(received)} received)`,
          false,
          "the server is too slow or stuck; raise the step's `timeout` if it is only slow",
        );
      }
      const err = asDownloadError(e, o.signal);
      if (!err.retryable || o.signal?.aborted) throw err;
      if (attempt >= o.retry.tries)
        throw new DownloadError(
          `${err.message} (gave up after ${attempt} tries)`,
          false,
          err.hint ?? 'check the network and the mirror, then run again',
        );
      const wait = o.retry.baseDelayMs * 2 ** (attempt - 1);
      o.log(
        `download failed: ${err.message}; trying again in ${formatDuration(wait)} (try ${attempt + 1} of ${o.retry.tries})`,
      );
      await sleep(wait, o.signal);
    }
  }
}

async function once(
  url: string,
  file: string,
  o: FetchOptions,
  received: (n: number) => void,
): Promise<{ sha256: string; bytes: number }> {
  const stallMs = o.stallMs ?? STALL_MS;
  const maxBytes = o.maxBytes ?? MAX_DOWNLOAD_BYTES;
  const minSpeed = o.minSpeed ?? MIN_SPEED;
  const stall = new AbortController();
  const timer = setTimeout(
    () => stall.abort(new DownloadError(`no data for ${formatDuration(stallMs)}`, true)),
    stallMs,
  );
  let bytes = 0;
  let windowStart = 0;
  // Too slow: under minSpeed.bytes in a whole window. Not retried: a trickling server trickles again.
  const speed = setInterval(() => {
    if (bytes - windowStart < minSpeed.bytes)
      stall.abort(
        new DownloadError(
          `too slow: ${size(bytes - windowStart)} in the last ${formatDuration(minSpeed.windowMs)} (${size(bytes)} in all)`,
          false,
          'the server is stuck or trickling; try again later or use a mirror',
        ),
      );
    windowStart = bytes;
  }, minSpeed.windowMs);
  const signal = o.signal ? AbortSignal.any([o.signal, stall.signal]) : stall.signal;
  const hash = createHash('sha256');
  const out = await fs.promises.open(file, 'w');
  try {
    const { body, total } = await openSource(url, signal);
    if (total !== undefined && total > maxBytes) {
      await (body as { cancel?: () => Promise<void> }).cancel?.().catch(() => {});
      (body as { destroy?: () => void }).destroy?.();
      throw new DownloadError(
        `it is ${formatSize(total)} (Content-Length), over the ${formatSize(maxBytes)} limit; nothing was downloaded`,
        false,
        RAISE_MAX,
      );
    }
    let last = 0;
    try {
      for await (const chunk of body) {
        timer.refresh();
        if (bytes + chunk.length > maxBytes)
          throw new DownloadError(
            `it is bigger than the ${formatSize(maxBytes)} limit (stopped there)`,
            false,
            RAISE_MAX,
          );
        if (total !== undefined && bytes + chunk.length > total)
          throw new DownloadError(`the server sent more than the ${total} bytes it announced`, true);
        hash.update(chunk);
        await out.write(chunk);
        bytes += chunk.length;
        received(bytes);
        const now = Date.now();
        if (o.progress && now - last >= PROGRESS_MS) {
          last = now;
          o.progress(bytes, total);
        }
      }
    } catch (e) {
      if (stall.signal.aborted) throw stall.signal.reason;
      if (e instanceof DownloadError || o.signal?.aborted || isDiskError(e)) throw e;
      throw new DownloadError(
        `the transfer broke after ${megabytes(bytes)}${total ? ` of ${megabytes(total)}` : ''} (${causeText(e)})`,
        true,
      );
    }
    if (total !== undefined && bytes !== total)
      throw new DownloadError(`the transfer ended after ${bytes} of ${total} bytes`, true);
    await out.sync();
  } finally {
    clearTimeout(timer);
    clearInterval(speed);
    await out.close();
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** The body of a URL, as chunks, with its length when known. */
async function openSource(
  url: string,
  signal: AbortSignal,
): Promise<{ body: AsyncIterable<Uint8Array>; total?: number }> {
  const u = new URL(url);
  if (u.protocol === 'file:') {
    const p = fileURLToPath(u);
    const st = await fs.promises.stat(p).catch((e: NodeJS.ErrnoException) => {
      throw new DownloadError(
        `cannot read ${p}: ${e.code === 'ENOENT' ? 'no such file' : (e.code ?? e.message)}`,
        false,
        "check the url (and the mirror profile's urls.rewrite, shown applied in the plan)",
      );
    });
    if (!st.isFile()) throw new DownloadError(`${p} is not a file`, false);
    return { body: fs.createReadStream(p, { signal }), total: st.size };
  }
  let res: Response;
  try {
    // identity: the bytes as stored, which the sha256 is about (no transparent gzip decoding).
    res = await httpFetch(u, {
      signal,
      redirect: 'follow',
      headers: { 'accept-encoding': 'identity', 'user-agent': 'envkit' },
    });
  } catch (e) {
    if (signal.aborted) throw signal.reason ?? e;
    const proxy = proxyVar(u, process.env);
    const through = `cannot reach ${u.host}${proxy ? ` through the proxy ${shownUrl(proxy.url)}` : ''}`;
    const refused = proxy ? tunnelRefused(e) : undefined;
    if (proxy && refused !== undefined) {
      // The proxy answered: asking again gets the same answer.
      const target = `${u.hostname}:${u.port || 443}`;
      throw new DownloadError(
        `${through}: the proxy refused the tunnel (CONNECT ${target} answered ${refused})`,
        false,
        refused === 407
          ? `the proxy wants credentials: put them in ${proxy.name} (http://user:password@host:port), or add ${u.hostname} to no_proxy`
          : `the proxy (${proxy.name}) does not allow CONNECT to ${target}: ask for it to be allowed, use a proxy that does, or add ${u.hostname} to no_proxy`,
      );
    }
    throw new DownloadError(
      `${through}: ${causeText(e)}`,
      true,
      proxy ? `check the proxy (${proxy.name}), or add ${u.hostname} to no_proxy` : undefined,
    );
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    const hint =
      res.status === 404 || res.status === 410
        ? "check the url (and the mirror profile's urls.rewrite, shown applied in the plan)"
        : undefined;
    throw new DownloadError(
      `${url} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`,
      retryable,
      hint,
    );
  }
  const len = res.headers.get('content-length');
  const total = len !== null && !res.headers.get('content-encoding') && /^\d+$/.test(len) ? Number(len) : undefined;
  return { body: (res.body ?? []) as AsyncIterable<Uint8Array>, total };
}

type Cause = { code?: unknown; message?: string; cause?: unknown };

/**
 * The innermost cause of a fetch error (undici hides the socket error in `cause`, at times under a
 * DOMException whose numeric `code` is 0 and says nothing).
 */
function innermost(e: unknown): Cause | undefined {
  let cause = (e as Cause | undefined)?.cause as Cause | undefined;
  while (cause && typeof cause === 'object' && cause.cause && typeof cause.cause === 'object')
    cause = cause.cause as Cause;
  return cause;
}

/** The useful part of a fetch error. */
function causeText(e: unknown): string {
  const cause = innermost(e);
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code && cause?.message) return `${code}: ${cause.message}`;
  return code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}

/** The status a proxy answered a CONNECT with when it refused the tunnel (undici's words for it), if that is the error. */
function tunnelRefused(e: unknown): number | undefined {
  const m = /Proxy response \((\d+)\) !== 200 when HTTP Tunneling/.exec(innermost(e)?.message ?? '');
  return m ? Number(m[1]) : undefined;
}

function isDiskError(e: unknown): boolean {
  return ['ENOSPC', 'EDQUOT', 'EACCES', 'EROFS', 'EPERM'].includes((e as NodeJS.ErrnoException)?.code ?? '');
}

function asDownloadError(e: unknown, signal?: AbortSignal): DownloadError {
  if (e instanceof DownloadError) return e;
  if (signal?.aborted) {
    const timeout = (signal.reason as Error | undefined)?.name === 'TimeoutError';
    return new DownloadError(
      timeout ? 'the step timed out' : 'interrupted',
      false,
      timeout ? "raise the step's `timeout`" : undefined,
    );
  }
  if (isDiskError(e)) return new DownloadError(`cannot write the download: ${(e as Error).message}`, false);
  return new DownloadError(causeText(e), true);
}
