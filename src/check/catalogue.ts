// The catalogue of checks: each proves one link of the High Performance Backend and, when the link
// is broken, names the cause (facts sheet section 8) with a one-line fix. One file per group of
// checks in groups/, each given only the IO it uses; the runner schedules them in parallel.
import { backendChecks } from './groups/backends.js';
import { capacityChecks } from './groups/capacity.js';
import { clusterChecks } from './groups/cluster.js';
import type { ClusterCheckSetup } from './clusterSetup.js';
import { configChecks } from './groups/config.js';
import { groupContext, type CheckInputs, type GroupContext } from './groups/context.js';
import { janusChecks } from './groups/janus.js';
import { natsChecks } from './groups/nats.js';
import { CHECK_GROUPS, type CheckGroupId } from './groups/order.js';
import { publicChecks } from './groups/public.js';
import { registrationChecks } from './groups/registration.js';
import { serverChecks } from './groups/server.js';
import { turnChecks } from './groups/turn.js';
import { realCheckIO, type CheckIO } from './io.js';
import type { CheckDef } from './runner.js';

export type { CheckInputs } from './groups/context.js';

const GROUP_CHECKS: Record<CheckGroupId, (g: GroupContext<CheckIO>) => CheckDef[]> = {
  config: configChecks,
  server: serverChecks,
  nats: natsChecks,
  janus: janusChecks,
  turn: turnChecks,
  public: publicChecks,
  backends: backendChecks,
  registration: registrationChecks,
  capacity: capacityChecks,
};

/** All checks in report order (groups/order.ts): config, local server, NATS, Janus, TURN, public URL, backends, Talk, capacity. */
export function buildCatalogue(inputs: CheckInputs, io: CheckIO = realCheckIO): CheckDef[] {
  const g = groupContext(inputs, io);
  return CHECK_GROUPS.flatMap((group) => GROUP_CHECKS[group.id](g));
}

/** `check --cluster`: the cluster group alone (every node, NATS, cross-node delivery, gRPC, media). */
export function buildClusterCatalogue(setup: ClusterCheckSetup, io: CheckIO = realCheckIO): CheckDef[] {
  return clusterChecks(setup, io);
}
