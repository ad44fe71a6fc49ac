import { httpFetch } from '../util/http.js';
import * as z from '../util/zod.js';
import { defineVerify } from './types.js';

/** `url:` answers with a status below 500. */
export const urlVerify = defineVerify<{ url: string }>({
  kind: 'url',
  shape: {
    url: z
      .string()
      .regex(/^(https?:\/\/|\{\{)/, 'an http:// or https:// URL')
      .meta({
        description: 'A URL that must answer (any HTTP status below 500), e.g. a started server.',
        examples: ['http://127.0.0.1:9200', '{{ mirror.pip.index-url }}'],
      }),
  },
  label: (i) => String(i.url),
  async run(item, _env, fix) {
    const url = item.url;
    try {
      const res = await httpFetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(5000) });
      await res.body?.cancel();
      return res.status < 500
        ? { status: 'ok', message: `answers (HTTP ${res.status})` }
        : { status: 'fail', message: `answers HTTP ${res.status}`, fix };
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
      return {
        status: 'fail',
        message: `does not answer (${cause === 'TimeoutError' ? 'no answer in 5s' : cause})`,
        fix,
      };
    }
  },
});
