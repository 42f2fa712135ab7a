#!/usr/bin/env bash
# Installs the real components the integration tests run against (Debian packages only):
# signaling server 0.4.1 from the system's suite, 1.2.4 (trixie) and 2.0.2 (sid) unpacked from
# the same archive through a private apt state, plus nats-server, nginx, Apache 2.4, Caddy 2, janus, coturn.
# Idempotent: a second run only checks. Usage: scripts/provision.sh [TESTBED_DIR]
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
testbed=${1:-${SPREED_TESTBED_DIR:-$here/.testbed}}
mkdir -p "$testbed"
log() { printf '[provision] %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  log "must run as root (apt-get install)"; exit 1
fi

need_install=()
for bin in /usr/bin/nextcloud-spreed-signaling-server /usr/sbin/nats-server /usr/sbin/nginx /usr/bin/janus /usr/bin/turnserver /usr/bin/curl /usr/bin/openssl /usr/bin/tmux /usr/sbin/apache2 /usr/bin/caddy /usr/sbin/haproxy; do
  [ -x "$bin" ] || need_install+=("$bin")
done

if [ ${#need_install[@]} -gt 0 ]; then
  log "installing Debian packages (missing: ${need_install[*]})"
  # Package scripts must not start system services with their default configs.
  guard=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; guard=1
  fi
  trap '[ $guard = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends \
    nextcloud-spreed-signaling nats-server nginx-light janus coturn curl openssl tmux apache2 caddy haproxy >/dev/null
fi

# The archive URI the machine already uses (never hard-coded here).
uri=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  uri=$(awk '/^URIs:/ {print $2; exit}' "$f"); [ -n "$uri" ] && break
done
if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
  uri=$(awk '$1=="deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
fi
[ -n "$uri" ] || { log "no apt source URI found"; exit 1; }

# suite:version-prefix
wanted=("trixie:1.2" "sid:2.0")
missing=0
for w in "${wanted[@]}"; do
  prefix=${w#*:}
  ls -d "$testbed"/signaling-"$prefix".*/usr/bin/nextcloud-spreed-signaling-server >/dev/null 2>&1 || missing=1
done
# The 2.0.2 package's -common companion, for the install test's local apt repository.
ls "$testbed"/apt/archives/nextcloud-spreed-signaling-common_2.0.*.deb >/dev/null 2>&1 || missing=1
# The signaling proxy 2.0.2 (same source package as the server, from sid), for media-farm tests.
ls -d "$testbed"/proxy-2.0.*/usr/bin/nextcloud-spreed-signaling-proxy >/dev/null 2>&1 || missing=1

if [ $missing = 1 ]; then
  apt_state="$testbed/apt"
  mkdir -p "$apt_state/lists/partial" "$apt_state/archives/partial"
  : > "$apt_state/sources.list"
  for w in "${wanted[@]}"; do
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri ${w%%:*} main" >> "$apt_state/sources.list"
  done
  opts=(-o "Dir::Etc::SourceList=$apt_state/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State::Lists=$apt_state/lists" -o "Dir::Cache::Archives=$apt_state/archives"
        -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root)
  log "updating private apt state for ${wanted[*]}"
  apt-get "${opts[@]}" update -qq
  for w in "${wanted[@]}"; do
    suite=${w%%:*}; prefix=${w#*:}
    dir="$testbed"
    ls -d "$dir"/signaling-"$prefix".*/usr/bin/nextcloud-spreed-signaling-server >/dev/null 2>&1 && continue
    # Pick the candidate of that suite from apt-cache's table, e.g. "2.0.2-2+b2 500 ... sid/main".
    ver=$(apt-cache "${opts[@]}" madison nextcloud-spreed-signaling | awk -v s="$suite" -v p="$prefix" '$0 ~ s"/main" && $3 ~ "^"p {print $3; exit}')
    [ -n "$ver" ] || { log "no nextcloud-spreed-signaling $prefix.x found in $suite"; exit 1; }
    log "downloading nextcloud-spreed-signaling=$ver from $suite"
    (cd "$apt_state/archives" && apt-get "${opts[@]}" download -qq "nextcloud-spreed-signaling=$ver")
    deb=$(ls "$apt_state"/archives/nextcloud-spreed-signaling_*"${ver#*:}"*.deb 2>/dev/null | head -1)
    [ -z "$deb" ] && deb=$(ls -t "$apt_state"/archives/nextcloud-spreed-signaling_*.deb | head -1)
    upstream=${ver%%-*}
    rm -rf "$testbed/signaling-$upstream"
    dpkg -x "$deb" "$testbed/signaling-$upstream"
  done
  # A server package may depend on the -common package of its source (2.0.2 does): fetch it too,
  # so the install test's local apt repository can install the real package.
  for deb in "$apt_state"/archives/nextcloud-spreed-signaling_*.deb; do
    common=$(dpkg-deb -f "$deb" Depends | grep -o 'nextcloud-spreed-signaling-common (= [^)]*)' | sed 's/.*(= \(.*\))/\1/' || true)
    [ -n "$common" ] || continue
    ls "$apt_state"/archives/nextcloud-spreed-signaling-common_"${common#*:}"_*.deb >/dev/null 2>&1 && continue
    log "downloading nextcloud-spreed-signaling-common=$common"
    (cd "$apt_state/archives" && apt-get "${opts[@]}" download -qq "nextcloud-spreed-signaling-common=$common")
  done
  # The proxy of the same source release as the 2.0.x server, unpacked beside it.
  if ! ls -d "$testbed"/proxy-2.0.*/usr/bin/nextcloud-spreed-signaling-proxy >/dev/null 2>&1; then
    ver=$(apt-cache "${opts[@]}" madison nextcloud-spreed-signaling-proxy | awk '$0 ~ "sid/main" && $3 ~ "^2\\.0" {print $3; exit}')
    [ -n "$ver" ] || { log "no nextcloud-spreed-signaling-proxy 2.0.x found in sid"; exit 1; }
    log "downloading nextcloud-spreed-signaling-proxy=$ver from sid"
    (cd "$apt_state/archives" && apt-get "${opts[@]}" download -qq "nextcloud-spreed-signaling-proxy=$ver")
    deb=$(ls -t "$apt_state"/archives/nextcloud-spreed-signaling-proxy_*.deb | head -1)
    upstream=${ver%%-*}
    rm -rf "$testbed/proxy-$upstream"
    dpkg -x "$deb" "$testbed/proxy-$upstream"
  fi
fi

log "components:"
printf '  signaling 0.4.1: %s\n' "$(/usr/bin/nextcloud-spreed-signaling-server --version 2>&1 | head -1)"
for b in "$testbed"/signaling-*/usr/bin/nextcloud-spreed-signaling-server; do
  printf '  %s: %s\n' "$(basename "$(dirname "$(dirname "$(dirname "$b")")")")" "$("$b" --version 2>&1 | head -1)"
done
for b in "$testbed"/proxy-*/usr/bin/nextcloud-spreed-signaling-proxy; do
  if [ -x "$b" ]; then printf '  %s: %s\n' "$(basename "$(dirname "$(dirname "$(dirname "$b")")")")" "$("$b" --version 2>&1 | head -1)"; fi
done
printf '  nats-server: %s\n' "$(nats-server --version 2>&1 | head -1)"
printf '  nginx: %s\n' "$(nginx -v 2>&1 | head -1)"
printf '  apache2: %s\n' "$(apache2 -v 2>&1 | head -1)"
printf '  caddy: %s\n' "$(caddy version 2>&1 | head -1)"
printf '  haproxy: %s\n' "$(haproxy -v 2>&1 | head -1)"
printf '  janus: %s\n' "$(janus --version 2>&1 | head -1)"
printf '  coturn: %s\n' "$(turnserver --version 2>&1 | tail -1)"
printf '  tmux: %s\n' "$(tmux -V)"
