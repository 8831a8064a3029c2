#!/usr/bin/env bash
# Install the headless browser the page tests use: Debian's chromium and chromium-driver.
#
# The tests drive /usr/bin/chromium through Playwright (tests/browser.py); Playwright's own browser downloads
# are not used. Does nothing when /usr/bin/chromium is already there. Installing needs root (CI runs as root);
# without root it only says what to run: the page tests are then skipped, the rest still run.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install_browser.sh: /usr/bin/chromium is missing; install it as root:" >&2
    echo "  apt-get update && apt-get install -y chromium chromium-driver" >&2
    echo "(until then the tests that open pages in a browser are skipped)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "install_browser.sh: installing chromium and chromium-driver with apt-get..." >&2
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
/usr/bin/chromium --version
