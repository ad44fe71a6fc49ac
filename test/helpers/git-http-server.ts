import { spawn } from 'node:child_process';
import http from 'node:http';

/** A smart-HTTP git server on 127.0.0.1: `git http-backend` (CGI) behind basic auth, each request slowed down. */
export interface GitHttpServer {
  url: string;
  /** git's requests refused for a missing or wrong Authorization header. */
  refused: number;
  /** HEAD requests (setup's one reachability probe per host and run: it carries no credential; git never sends HEAD). */
  probes: number;
  served: number;
  close(): Promise<void>;
}

export async function startGitHttpServer(
  projectRoot: string,
  user: string,
  password: string,
  delayMs = 150,
): Promise<GitHttpServer> {
  const want = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const state = { refused: 0, served: 0, probes: 0 };
  const server = http.createServer((req, res) => {
    if (req.method === 'HEAD') state.probes++;
    if (req.headers.authorization !== want) {
      if (req.method !== 'HEAD') state.refused++;
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="envkit-test"' }).end('auth required\n');
      return;
    }
    state.served++;
    const u = new URL(req.url ?? '/', 'http://localhost');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(u.pathname),
        QUERY_STRING: u.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_USER: user,
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    req.pipe(cgi.stdin);
    const chunks: Buffer[] = [];
    cgi.stdout.on('data', (c: Buffer) => chunks.push(c));
    cgi.on('close', () => {
      const out = Buffer.concat(chunks);
      const end = out.indexOf('\r\n\r\n');
      const head = out.subarray(0, end).toString('latin1');
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.split('\r\n')) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]);
        else if (k) headers[k] = v;
      }
      setTimeout(() => res.writeHead(status, headers).end(out.subarray(end + 4)), delayMs);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    get probes() {
      return state.probes;
    },
    get refused() {
      return state.refused;
    },
    get served() {
      return state.served;
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/**
 * Samples every process's argv (/proc/N/cmdline) until stopped: how many samples, how many argvs matched
 * `seen` (proof the sampler saw the processes that matter), and every argv that held a needle.
 */
export function sampleCmdlines(
  fs: typeof import('node:fs'),
  needles: readonly string[],
  seen: RegExp,
): { stop(): { samples: number; seen: number; hits: string[] } } {
  const bufs = needles.map((n) => Buffer.from(n));
  const r = { samples: 0, seen: 0, hits: [] as string[] };
  const timer = setInterval(() => {
    r.samples++;
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let b: Buffer;
      try {
        b = fs.readFileSync(`/proc/${pid}/cmdline`);
      } catch {
        continue; // gone
      }
      const text = b.toString('utf8').replace(/\0/g, ' ');
      if (seen.test(text)) r.seen++;
      if (bufs.some((n) => b.includes(n))) r.hits.push(text);
    }
  }, 5);
  return {
    stop: () => {
      clearInterval(timer);
      return r;
    },
  };
}
