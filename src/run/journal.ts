import fs from 'node:fs';
import path from 'node:path';
import { redactDeep } from '../util/redact.js';

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

/** The journal: one JSON line per event in the state folder, appended (O_APPEND), never rewritten. */
export class Journal {
  constructor(private readonly file: string) {}

  append(e: JournalEvent): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    // Masked as data, not as JSON text (a mask over JSON text could cut an escape in half).
    fs.appendFileSync(this.file, JSON.stringify(redactDeep({ time: new Date().toISOString(), ...e })) + '\n');
  }
}
