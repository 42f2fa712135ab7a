// The check groups in report order, with the names a terminal shows before the checks themselves
// load (the plain first paint of `check`). Imports nothing: catalogue.ts builds the checks in this order.
export const CHECK_GROUPS = [
  { id: 'config', name: 'config' },
  { id: 'server', name: 'local server' },
  { id: 'nats', name: 'NATS' },
  { id: 'janus', name: 'Janus' },
  { id: 'turn', name: 'TURN' },
  { id: 'public', name: 'public URL' },
  { id: 'backends', name: 'Nextcloud backends' },
  { id: 'registration', name: 'Talk registration' },
  { id: 'capacity', name: 'capacity' },
] as const;

/** `check --cluster`: one group over every node of the cluster (groups/cluster.ts). */
export const CLUSTER_GROUP = {
  id: 'cluster',
  name: 'cluster nodes, NATS routes, messages between nodes, shared secrets, gRPC, media nodes',
} as const;

export type CheckGroupId = (typeof CHECK_GROUPS)[number]['id'];
