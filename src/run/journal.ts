import { redactDeep } from '../util/redact.js';
import { appendWhole } from '../util/verified-write.js';

/** One journal line: what happened to a run or a step, and when. */
export interface JournalEvent {
  event: 'run-start' | 'step-ok' | 'step-failed' | 'step-interrupted' | 'run-end';
  run: string;
  recipe?: string;
  step?: string;
  status?: string;
  message?: string;
  durationMs?: number;
  log?: string;
}

/** The journal: one JSON line per event in the state folder, appended whole (O_APPEND; a full disk cuts nothing in half), never rewritten. */
export class Journal {
  constructor(private readonly file: string) {}

  append(e: JournalEvent): void {
    // Masked as data, not as JSON text (a mask over JSON text could cut an escape in half); all bytes or none.
    appendWhole(this.file, JSON.stringify(redactDeep({ time: new Date().toISOString(), ...e })) + '\n');
  }
}
