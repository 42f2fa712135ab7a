#!/bin/sh
# Fills in what docker-compose.yml leaves out, from the cluster's secrets bundle on this machine
# (written by spreed-setup setup --cluster): tokens/*.pub (every signaling node's public token key).
# Rendered by spreed-setup GOLDEN for media node media1. It prints no secret; it never echoes a value.
#   sh prepare.sh [BUNDLE]      (default /etc/spreed-setup/cluster-hpb)
set -eu
bundle=${1:-/etc/spreed-setup/cluster-hpb}
cd "$(dirname "$0")"
umask 077
need() {
  [ -f "$bundle/$1" ] || { echo "prepare.sh: $bundle/$1 is missing (run spreed-setup setup --cluster on this machine first)" >&2; exit 1; }
}
# Mounted as a directory: the image's user must list it (umask 077 above would close it).
mkdir -p tokens
chmod 0755 tokens
need tokens/sig1.pub
install -m 0444 "$bundle/tokens/sig1.pub" tokens/sig1.pub
need tokens/sig2.pub
install -m 0444 "$bundle/tokens/sig2.pub" tokens/sig2.pub
echo "prepare.sh: done; now: docker compose up -d --force-recreate"
