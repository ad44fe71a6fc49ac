import fs from 'node:fs';
import { redactDeep } from '../util/redact.js';
import { appendWhole } from '../util/verified-write.js';

/** One journal line: what happened to a run or a step, and when. */
export interface JournalEvent {
  event: 'run-start' | 'step-ok' | 'step-failed' | 'step-interrupted' | 'run-end';
  run: string;
  /** ISO time the line was written (added by `append`). */
  time?: string;
  recipe?: string;
  step?: string;
  /** The step's display name (its `name`, else what it does). */
  name?: string;
  status?: string;
  message?: string;
  durationMs?: number;
  log?: string;
  /** run-start: the recipes the run was asked for, with what they require. */
  recipes?: string[];
}

/** The journal: one JSON line per event in the state folder, appended whole (O_APPEND; a full disk cuts nothing in half), never rewritten. */
export class Journal {
  constructor(private readonly file: string) {}

  append(e: JournalEvent): void {
    // Masked as data, not as JSON text (a mask over JSON text could cut an escape in half); all bytes or none.
    appendWhole(this.file, JSON.stringify(redactDeep({ time: new Date().toISOString(), ...e })) + '\n');
  }
}

/**
 * The journal's events, oldest first; none when there is no journal. A line that is not a journal event
 * (cut by a crash of an older version, edited by hand) is left out rather than failing the reader.
 */
export function readJournal(file: string): JournalEvent[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: JournalEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as JournalEvent;
      if (e && typeof e === 'object' && typeof e.event === 'string' && typeof e.run === 'string') out.push(e);
    } catch {
      /* not an event: left out */
    }
  }
  return out;
}
