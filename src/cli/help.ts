// Help texts: kept free of imports so --help starts as fast as bare node.

export const MAIN_HELP = `spreed-setup: set up a Nextcloud Talk High Performance Backend
(nextcloud-spreed-signaling behind nginx), register it in Nextcloud and check it.

Usage:
  spreed-setup                      the interactive wizard (on a terminal): detect, ask, review, write
  spreed-setup setup [options]      render and write server.conf, secrets and the nginx site
  spreed-setup register [options]   register this server in Nextcloud Talk (occ talk:signaling:add)
  spreed-setup check [options]      prove every link works (server, NATS, proxy, TLS, Nextcloud)
  spreed-setup --help | --version

Run "spreed-setup COMMAND --help" for a command's options.
`;

export const SETUP_HELP = `spreed-setup setup: write server.conf, the secret files and the nginx site

Usage:
  spreed-setup setup [--hostname NAME] [--nextcloud URL]... [--nats loopback|local|URL[,URL...]]
                     [--listen HOST:PORT] [--janus URL|none] [--tls-cert PATH --tls-key PATH]
                     [--nginx site|snippet|none] [--server-version X.Y.Z] [--answers FILE] [--answers-out FILE]
                     [--config PATH] [--root DIR] [--rotate NAME]... [--yes] [--dry-run] [--restart]

Options:
  --hostname NAME        public host name of the signaling server (e.g. hpb.example.org)
  --nextcloud URL        a Nextcloud base URL (repeat for several; each becomes a backend)
  --nats MODE            loopback (in-process, default) | local (nats-server on 127.0.0.1:4222)
                         | nats://host:4222[,nats://…] (external cluster)
  --listen HOST:PORT     where the signaling server listens (default 127.0.0.1:8080)
  --janus URL|none       use Janus as MCU at URL (e.g. ws://127.0.0.1:8188)
  --tls-cert PATH        certificate for nginx (default /etc/letsencrypt/live/HOST/fullchain.pem)
  --tls-key PATH         its key (default /etc/letsencrypt/live/HOST/privkey.pem)
  --nginx MODE           site (complete HTTPS site, default) | snippet (locations to include in
                         an existing server block) | none
  --server-version V     render for this server version instead of the detected one
  --answers FILE         read answers from a YAML or JSON file (see examples/answers.yaml)
  --answers-out FILE     save the choices (no secrets) as an answers file that replays this setup
  --config PATH          server.conf path (default: detected; Debian layout when nothing is found)
  --root DIR             prefix every path read and written with DIR (stage an install unprivileged)
  --rotate NAME          generate a new value for a secret: hashkey, blockkey, internalsecret,
                         backend-<id>, turn-apikey, turn-secret, or all
  --yes, -y              do not ask anything; missing values are an error
  --dry-run              show the plan and the diff (secrets masked), write nothing
  --restart              restart the signaling server and reload nginx afterwards (systemd)
  --debug                show stack traces for unexpected errors

Interactive: on a terminal without --yes, the wizard asks for what the flags leave open
(every flag given is not asked again) and shows the plan before writing anything.

Non-interactive usage (automation):
  spreed-setup setup --hostname hpb.example.org --nextcloud https://cloud.example.org --yes
  spreed-setup setup --answers answers.yaml --yes --dry-run
  Without a terminal nothing is asked: missing values exit 2 with the flags that are needed.
  Secrets are never taken from flags; existing ones are reused from the secret files
  (next to server.conf, in secrets/) or from server.conf itself.

Exit codes: 0 done (or nothing to change), 1 failed while applying (files put back),
            2 bad input (nothing written), 130 aborted.
`;
