// The catalogue of checks: each proves one link of the High Performance Backend and, when the link
// is broken, names the cause (facts sheet section 8) with a one-line fix. One file per group of
// checks in groups/, each given only the IO it uses; the runner schedules them in parallel.
import { backendChecks } from './groups/backends.js';
import { capacityChecks } from './groups/capacity.js';
import { configChecks } from './groups/config.js';
import { groupContext, type CheckInputs } from './groups/context.js';
import { janusChecks } from './groups/janus.js';
import { natsChecks } from './groups/nats.js';
import { publicChecks } from './groups/public.js';
import { registrationChecks } from './groups/registration.js';
import { serverChecks } from './groups/server.js';
import { turnChecks } from './groups/turn.js';
import { realCheckIO, type CheckIO } from './io.js';
import type { CheckDef } from './runner.js';

export type { CheckInputs } from './groups/context.js';

/** All checks in report order: config, local server, NATS, Janus, TURN, public URL, backends, Talk, capacity. */
export function buildCatalogue(inputs: CheckInputs, io: CheckIO = realCheckIO): CheckDef[] {
  const g = groupContext(inputs, io);
  return [
    ...configChecks(g),
    ...serverChecks(g),
    ...natsChecks(g),
    ...janusChecks(g),
    ...turnChecks(g),
    ...publicChecks(g),
    ...backendChecks(g),
    ...registrationChecks(g),
    ...capacityChecks(g),
  ];
}
