// Help texts: kept free of imports so --help starts as fast as bare node.

export const MAIN_HELP = `spreed-setup: set up a Nextcloud Talk High Performance Backend
(nextcloud-spreed-signaling with NATS, TURN and Janus, behind nginx, Apache, Caddy, HAProxy or
Traefik; one server or a cluster), register it in Nextcloud and check it.

Usage:
  spreed-setup [setup options]      the interactive wizard (on a terminal): detect, ask, review, write;
                                    options given (e.g. --root DIR) are not asked again
  spreed-setup setup [options]      render and write server.conf, secrets and the web server's site
  spreed-setup install [options]    get a signaling server current Talk accepts (package, pinned, container)
  spreed-setup register [options]   register this server in Nextcloud Talk (occ talk:signaling:add)
  spreed-setup check [options]      prove every link works (server, NATS, proxy, TLS, Nextcloud)
  spreed-setup render --cluster FILE --engine compose|kubernetes|nixos --out DIR
                                    the cluster for docker compose, Kubernetes or NixOS
  spreed-setup --help | --version

Run "spreed-setup COMMAND --help" for a command's options.
`;

export { SETUP_HELP } from '../options/setup.js';
