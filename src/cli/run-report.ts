import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../util/errors.js';
import type { Plan } from '../plan/plan.js';
import type { RunSummary } from '../run/execute.js';
import { junitXml } from '../run/junit.js';
import { readLogSection } from '../run/log.js';
import { slowest, stepReports, type StepReport } from '../run/report.js';
import { formatDuration } from '../util/duration.js';
import { writeVerified } from '../util/verified-write.js';
import { tilde, writeJson, type Output } from './output.js';

/** How a run ended, for `--json`, `--report` and the closing lines. */
export interface RunEnd {
  status: 'ok' | 'failed' | 'blocked' | 'interrupted';
  plan: Plan;
  summary?: RunSummary;
  /** When the run (or the refusal) began, for the JUnit timestamp. */
  started: Date;
}

/** `setup run --json`: the totals, the failure, and every step of the plan with what became of it. */
export function writeRunJson(o: Output, end: RunEnd, reports: StepReport[]): void {
  const s = end.summary;
  const failed = s?.failed;
  const blocked = reports.find((r) => r.outcome === 'failed' && !r.log);
  writeJson(o, 'run', {
    status: end.status,
    ran: s?.ran ?? 0,
    already: s ? s.already : end.plan.counts.satisfied,
    durationMs: Math.round(s?.durationMs ?? 0),
    log: s?.log ?? null,
    failed: failed
      ? { step: failed.step.step.id, message: failed.result.message, ...failed.result.failure?.details }
      : blocked
        ? { step: blocked.id, message: blocked.message }
        : null,
    steps: reports,
  });
}

/** `--report FILE` must name a file in a folder that exists: said before anything runs, not after the run. */
export function checkReportPath(file: string): void {
  const dir = path.dirname(path.resolve(file));
  const st = fs.statSync(dir, { throwIfNoEntry: false });
  if (!file || !st?.isDirectory())
    throw new UsageError(
      `--report ${file}: the folder ${dir} does not exist`,
      'create it first, or name a file in an existing folder',
    );
  if (fs.statSync(path.resolve(file), { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(`--report ${file} is a folder`, 'name a file, e.g. --report junit.xml');
}

/** `--report FILE`: the JUnit XML of the run, written whole or not at all. */
export async function writeJunit(file: string, end: RunEnd, reports: StepReport[]): Promise<void> {
  const log = end.summary?.log;
  const xml = junitXml(reports, {
    name: `setup run ${end.plan.recipes.map((r) => r.name).join(' ')}`.trim(),
    timestamp: end.started.toISOString().replace(/\.\d+Z$/, 'Z'),
    durationMs: end.summary?.durationMs ?? 0,
    excerpt: (r) => (log && r.log ? readLogSection(log, r.log.start, r.log.end).trim() : ''),
  });
  await writeVerified(path.resolve(file), xml, { what: `write the report ${file}` });
}

/** The closing lines of a run: its slowest steps (at least 1 s, three at most), for a person (not --quiet). */
export function slowestLines(o: Output, reports: readonly StepReport[]): string[] {
  const top = slowest(reports);
  if (!top.length) return [];
  const width = Math.max(...top.map((r) => formatDuration(r.durationMs!).length));
  return [
    `Slowest step${top.length === 1 ? '' : 's'}:`,
    ...top.map((r) => `  ${formatDuration(r.durationMs!).padStart(width)}  ${tilde(o, `${r.recipe} › ${r.name}`)}`),
  ];
}

/** Everything a run says when it ends besides its human summary line: JSON, the JUnit file, the slowest steps. */
export async function reportRun(o: Output, end: RunEnd, opts: { report?: string }): Promise<void> {
  const reports = stepReports(end.plan, end.summary);
  if (opts.report) await writeJunit(opts.report, end, reports);
  if (o.json) writeRunJson(o, end, reports);
  else if (!o.quiet) for (const l of slowestLines(o, reports)) o.err(o.c.dim(l));
}
