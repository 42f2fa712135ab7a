#!/bin/sh
# Fills in what docker-compose.yml leaves out, from the cluster's secrets bundle on this machine
# (written by spreed-setup setup --cluster): secrets.env (0600, read by docker compose
# as env_file), token.key (this node's proxy token key, readable by the image's user
# 850 only).
# Rendered by spreed-setup GOLDEN for signaling node sig1. It prints no secret; it never echoes a value.
#   sh prepare.sh [BUNDLE]      (default /etc/spreed-setup/cluster-hpb)
set -eu
bundle=${1:-/etc/spreed-setup/cluster-hpb}
cd "$(dirname "$0")"
umask 077
need() {
  [ -f "$bundle/$1" ] || { echo "prepare.sh: $bundle/$1 is missing (run spreed-setup setup --cluster on this machine first)" >&2; exit 1; }
}
value() {
  need "$1"
  v=$(cat "$bundle/$1")
  # The image substitutes values with sed (delimiter |): only plain tokens pass.
  case $v in
    '' | *[!A-Za-z0-9._~+=-]*) echo "prepare.sh: $bundle/$1 is empty or holds characters the image cannot take" >&2; exit 1 ;;
  esac
  printf '%s=%s\n' "$2" "$v"
}
tmp=$(mktemp secrets.env.XXXXXX)
trap 'rm -f "$tmp"' EXIT
{
  value hashkey HASH_KEY
  value blockkey BLOCK_KEY
  value internalsecret INTERNAL_SHARED_SECRET_KEY
  value backend-nextcloud BACKEND_NEXTCLOUD_SHARED_SECRET
} >"$tmp"
mv "$tmp" secrets.env
trap - EXIT
need tokens/sig1.key
install -m 0400 -o 850 -g 850 "$bundle/tokens/sig1.key" token.key
echo "prepare.sh: done; now: docker compose up -d --force-recreate"
