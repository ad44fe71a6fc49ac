import { redact } from '../util/redact.js';
import type { StepReport } from './report.js';

/** What the JUnit file says of the run besides its steps. */
export interface JunitRun {
  name: string;
  timestamp: string;
  durationMs: number;
  /** The step's section of the run log (already masked), for a failed step's `<failure>` body. */
  excerpt: (r: StepReport) => string;
}

// XML 1.0 allows only tab, LF, CR and characters from U+0020 (less surrogates and U+FFFE/U+FFFF).
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text or an attribute value escaped for XML, secrets masked first; characters XML cannot hold become U+FFFD. */
export function xmlEscape(s: string): string {
  return redact(s)
    .replace(NOT_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;');
}

const seconds = (ms: number | null): string => ((ms ?? 0) / 1000).toFixed(3);

/**
 * A JUnit XML report of a run (pure): one `<testcase>` per step, classname = its recipe; satisfied, skipped
 * and not-run steps `<skipped>`; a failed step `<failure>` with its message and log excerpt; an interrupted
 * one `<error>`. The common subset Jenkins, GitLab and GitHub reporters read.
 */
export function junitXml(reports: readonly StepReport[], run: JunitRun): string {
  const count = (pred: (r: StepReport) => boolean): number => reports.filter(pred).length;
  const failures = count((r) => r.outcome === 'failed');
  const errors = count((r) => r.outcome === 'interrupted');
  const skipped = count((r) => r.outcome === 'satisfied' || r.outcome === 'skipped' || r.outcome === 'not-run');
  const totals = `tests="${reports.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(run.durationMs)}"`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlEscape(run.name)}" ${totals}>`,
    `  <testsuite name="${xmlEscape(run.name)}" ${totals} timestamp="${xmlEscape(run.timestamp)}">`,
  ];
  for (const r of reports) {
    const head = `    <testcase classname="${xmlEscape(r.recipe)}" name="${xmlEscape(r.name)}" time="${seconds(r.durationMs)}"`;
    if (r.outcome === 'ok' || r.outcome === 'already') {
      lines.push(`${head}/>`);
      continue;
    }
    lines.push(`${head}>`);
    if (r.outcome === 'failed' || r.outcome === 'interrupted') {
      const tag = r.outcome === 'failed' ? 'failure' : 'error';
      const f = r.failure;
      const type = f?.exitCode != null ? `exit ${f.exitCode}` : f?.signal ? f.signal : r.outcome;
      const body = [
        `step: ${r.id}`,
        ...(f?.command ? [`command: ${f.command.trimEnd()}`] : []),
        ...(f?.hint ? [`hint: ${f.hint}`] : []),
        '',
        run.excerpt(r) || (f?.tail ?? []).join('\n'),
      ].join('\n');
      lines.push(
        `      <${tag} message="${xmlEscape(r.message)}" type="${xmlEscape(type)}">${xmlEscape(body)}</${tag}>`,
      );
    } else {
      const why = r.outcome === 'satisfied' ? `already satisfied: ${r.message}` : r.message;
      lines.push(`      <skipped message="${xmlEscape(why)}"/>`);
    }
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
