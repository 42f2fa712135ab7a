// The machine's caps on open files and its CPU count, for sizing nginx and the services to a
// session count (model/capacity.ts). Read from the live /proc, never the staged tree: the staged
// install is meant for this kind of machine.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { machineLimitsFrom, type MachineLimits } from '../model/capacity.js';

export function readQuiet(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function machineLimits(): MachineLimits {
  return machineLimitsFrom(readQuiet, os.cpus().length || 1);
}
