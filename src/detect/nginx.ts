// nginx's version on this machine: the site is rendered for it (the http2 directive arrived in 1.25.1).
import { execa } from 'execa';

export async function nginxVersion(binary: string | undefined): Promise<string | undefined> {
  if (!binary) return undefined;
  const r = await execa(binary, ['-v'], { reject: false, timeout: 5000 });
  return /nginx\/(\d+\.\d+\.\d+)/.exec(String(r.stderr ?? '') + String(r.stdout ?? ''))?.[1];
}
