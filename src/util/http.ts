import { Agent, ProxyAgent, fetch as undiciFetch, type RequestInit, type Response } from 'undici';
import { proxyFor } from './reach.js';

// undici is pinned to 6.24.1, the version inside Node 20's own fetch: 6.25 and later (7.x too) throw an
// uncatchable AssertionError when a server closes the connection while a download is read slowly
// (`Connection: close`, as python's http.server and many mirrors do; nodejs/undici#5360).
let direct: Agent | undefined;
const viaProxy = new Map<string, ProxyAgent>();

/**
 * `fetch` that goes through http_proxy / https_proxy / all_proxy (and honours no_proxy) as curl, git and pip
 * do — the same rule `unreachable` uses to skip its probe (reach.ts `proxyFor`): Node 20's own fetch connects
 * directly whatever they say, so behind a proxy every download failed. Every HTTP request envkit makes itself
 * (downloads, their size probe, `url:` verify items) goes here.
 */
export function httpFetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
  const proxy = proxyFor(new URL(url), process.env);
  let dispatcher: Agent | ProxyAgent;
  if (!proxy) dispatcher = direct ??= new Agent();
  else {
    // http:// through an http proxy as curl sends it (the absolute URL), not a CONNECT tunnel that proxies
    // refuse to ports other than 443 by default (squid's SSL_ports); https:// is tunnelled either way.
    const uri = /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`; // curl takes host:port
    dispatcher = viaProxy.get(uri) ?? new ProxyAgent({ uri, proxyTunnel: false });
    viaProxy.set(uri, dispatcher);
  }
  return undiciFetch(url, { ...init, dispatcher });
}
