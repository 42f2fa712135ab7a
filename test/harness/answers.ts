// The answers file of a test install: the signaling server on a loopback port, one backend
// "cloud", and a complete nginx site over TLS on loopback ports.

export interface TestSiteAnswers {
  listenPort: number;
  nextcloudUrl: string;
  cert: { cert: string; key: string };
  httpPort: number;
  httpsPort: number;
  acmeWebroot: string;
  /** More top-level YAML lines (nats:, mcu: …). */
  extra?: string[];
}

export function testSiteAnswers(a: TestSiteAnswers): string {
  return [
    'hostname: localhost',
    `listen: 127.0.0.1:${a.listenPort}`,
    'backends:',
    '  - id: cloud',
    `    urls: [${a.nextcloudUrl}]`,
    ...(a.extra ?? []),
    'nginx:',
    '  mode: site',
    `  certificate: ${a.cert.cert}`,
    `  key: ${a.cert.key}`,
    '  bindAddress: 127.0.0.1',
    `  httpPort: ${a.httpPort}`,
    `  httpsPort: ${a.httpsPort}`,
    `  acmeWebroot: ${a.acmeWebroot}`,
    '',
  ].join('\n');
}
