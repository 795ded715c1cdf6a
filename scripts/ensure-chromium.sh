#!/usr/bin/env bash
# Installs Debian's chromium (the browser Playwright drives for the integration tests) when it is
# missing. Prints the browser's path on its last line. Needs root (or an existing browser).
# ONESHOT_CHROMIUM names another Chromium-family browser to use instead.
set -euo pipefail
if [[ -n "${ONESHOT_CHROMIUM:-}" ]]; then
  [[ -x "$ONESHOT_CHROMIUM" ]] || { echo "ONESHOT_CHROMIUM=$ONESHOT_CHROMIUM is not an executable file" >&2; exit 1; }
  echo "$ONESHOT_CHROMIUM"; exit 0
fi
if [[ -x /usr/bin/chromium ]]; then echo /usr/bin/chromium; exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  echo "The integration tests need Debian's chromium: run 'apt-get install chromium' as root, or set ONESHOT_CHROMIUM." >&2
  exit 1
fi
echo "installing Debian's chromium (once)" >&2
# Recommends (printing, desktop integration) are not needed by a headless browser.
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation >&2
[[ -x /usr/bin/chromium ]] || { echo "installing chromium did not produce /usr/bin/chromium" >&2; exit 1; }
echo /usr/bin/chromium
