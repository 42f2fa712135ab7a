// Preloaded with `node --require`: counts every file operation on a path under SHIM_ROOT (and
// every write, fsync, chmod or chown on a file descriptor opened there for writing) and kills the
// process with SIGKILL just before operation number SHIM_KILL_AT, as a crash or power loss would.
// With SHIM_LOG set it writes the numbered list of operations there when the process exits.
'use strict';
const fs = require('node:fs');
const { syncBuiltinESMExports } = require('node:module');

const root = process.env.SHIM_ROOT;
const killAt = Number(process.env.SHIM_KILL_AT || 0);
const log = process.env.SHIM_LOG;
const orig = { ...fs };
const ops = [];
const fds = new Set();
let n = 0;

const under = (p) => {
  if (p instanceof URL) p = p.pathname;
  if (Buffer.isBuffer(p)) p = p.toString();
  return typeof p === 'string' && !!root && (p === root || p.startsWith(`${root}/`));
};
function hit(name, what) {
  n++;
  if (log) ops.push(`${n} ${name} ${what}`);
  if (n === killAt) process.kill(process.pid, 'SIGKILL');
}

const byPath = [
  'writeFileSync',
  'appendFileSync',
  'renameSync',
  'symlinkSync',
  'linkSync',
  'unlinkSync',
  'rmSync',
  'rmdirSync',
  'mkdirSync',
  'copyFileSync',
  'chmodSync',
  'chownSync',
  'lchownSync',
  'truncateSync',
];
for (const name of byPath) {
  fs[name] = function (...a) {
    if (under(a[0]) || under(a[1])) hit(name, String(a[1] !== undefined && under(a[1]) ? a[1] : a[0]));
    return orig[name].apply(this, a);
  };
}
const writable = (flags) =>
  typeof flags === 'number'
    ? (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT)) !== 0
    : typeof flags === 'string' && /[wa+]/.test(flags);
fs.openSync = function (p, flags, ...rest) {
  const w = under(p) && writable(flags);
  if (w) hit('openSync', String(p));
  const fd = orig.openSync.call(this, p, flags, ...rest);
  if (w) fds.add(fd);
  return fd;
};
for (const name of ['writeSync', 'fsyncSync', 'fdatasyncSync', 'fchmodSync', 'fchownSync', 'ftruncateSync']) {
  fs[name] = function (fd, ...a) {
    if (fds.has(fd)) hit(name, `fd ${fd}`);
    return orig[name].call(this, fd, ...a);
  };
}
fs.closeSync = function (fd) {
  if (fds.delete(fd)) hit('closeSync', `fd ${fd}`);
  return orig.closeSync.call(this, fd);
};
syncBuiltinESMExports();
if (log) process.on('exit', () => orig.writeFileSync(log, ops.join('\n') + '\n'));
