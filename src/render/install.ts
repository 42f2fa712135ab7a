// The files that get a server Talk accepts: Debian's newer suite as an apt source limited to the
// signaling server's packages by a pin, or a systemd unit that runs upstream's container image.
// Every value is checked against its file's grammar before it is written into one.
import { aptMirrorProblem } from '../model/urls.js';
import { CONTAINER_IMAGE, DEBIAN_PACKAGE } from '../model/versions.js';
import { renderTemplate } from './templates.js';

export const aptSourcePath = (suite: string) => `/etc/apt/sources.list.d/spreed-setup-${suite}.sources`;
export const APT_PIN_PATH = '/etc/apt/preferences.d/spreed-setup-signaling';

const SUITE = /^[a-z0-9][a-z0-9.+-]*$/;
const PACKAGE = /^[a-z0-9][a-z0-9.+-]+$/;
const ABSOLUTE_PATH = /^\/[A-Za-z0-9._+/-]+$/;

function must(ok: boolean, what: string): void {
  if (!ok) throw new Error(`refusing to render ${what}`);
}

export function renderAptSource(o: { uri: string; suite: string; keyring: string }): string {
  must(aptMirrorProblem(o.uri) === undefined, `the apt URI ${JSON.stringify(o.uri)}`);
  must(SUITE.test(o.suite), `the suite ${JSON.stringify(o.suite)}`);
  must(ABSOLUTE_PATH.test(o.keyring), `the keyring path ${JSON.stringify(o.keyring)}`);
  return renderTemplate('apt-source.sources.mustache', {
    ...o,
    pinFile: APT_PIN_PATH.split('/').pop(),
  });
}

export function renderAptPin(o: { suite: string; packages?: readonly string[] }): string {
  const packages = o.packages ?? DEBIAN_PACKAGE.binaries;
  must(SUITE.test(o.suite), `the suite ${JSON.stringify(o.suite)}`);
  must(packages.length > 0 && packages.every((p) => PACKAGE.test(p)), 'the package names');
  return renderTemplate('apt-pin.pref.mustache', { suite: o.suite, packages: packages.join(' ') });
}

export interface ContainerUnitInput {
  /** Absolute path of docker or podman. */
  engine: string;
  /** The directory holding server.conf on the host. */
  configDir: string;
  uid: number;
  gid: number;
  /** Container name (the unit's name). */
  name: string;
  tag?: string;
}

export function containerImage(tag: string = CONTAINER_IMAGE.tag): string {
  return `${CONTAINER_IMAGE.name}:${tag}`;
}

export function renderContainerUnit(o: ContainerUnitInput): string {
  must(ABSOLUTE_PATH.test(o.engine), `the engine path ${JSON.stringify(o.engine)}`);
  must(ABSOLUTE_PATH.test(o.configDir), `the config directory ${JSON.stringify(o.configDir)}`);
  must(Number.isInteger(o.uid) && o.uid > 0 && Number.isInteger(o.gid) && o.gid > 0, 'the service ids');
  must(/^[a-z][a-z0-9-]*$/.test(o.name), `the container name ${JSON.stringify(o.name)}`);
  const tag = o.tag ?? CONTAINER_IMAGE.tag;
  must(/^\d+\.\d+\.\d+$/.test(tag), `the image tag ${JSON.stringify(tag)}`);
  return renderTemplate('container.service.mustache', {
    ...o,
    image: containerImage(tag),
    containerConfigDir: CONTAINER_IMAGE.configDir,
  });
}
