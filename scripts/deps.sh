#!/usr/bin/env bash
# deps.sh: installs every Debian package Estafeta needs to build, run and test, on a minimal
# Debian 12 that has only apt. Idempotent: does nothing when all are present. Needs root (or
# sudo). Benchmarks install their extra peers (Postfix, Dovecot, GMime) themselves; `--test`
# adds the test-only ones.
set -euo pipefail

packages=(
  g++ cmake ninja-build clang libclang-rt-14-dev pkg-config ccache
  libssl-dev openssl libsqlite3-dev libcrypt-dev libasio-dev libtomlplusplus-dev libcli11-dev
  libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev
  # libunbound: DNS for the sending MTA (libevent-dev only so pkg-config can read libunbound.pc;
  # dns-root-data: the DNSSEC root trust anchor; unbound and ldnsutils: the tests' local DNS
  # server and the signer of its DNSSEC test zone)
  libunbound-dev libevent-dev dns-root-data unbound ldnsutils
  python3 swaks libnet-ssleay-perl libio-socket-ssl-perl ca-certificates procps curl msmtp
  strace isync fetchmail getmail6 neomutt
  # tmux: the mail client's terminal tests (compose in $EDITOR, the password prompt)
  tmux
  # gpgsm: the S/MIME interoperability tests (src/smime/smime_interop_gpgsm_test.cpp) and
  # tests/data/smime/regenerate.sh
  gpgsm
)
# `deps.sh --test` (scripts/test.sh) adds the peers only the tests start: Postfix's binaries
# for tests/integration/test_outbound_postfix.py, preseeded to "No configuration" so that the
# package configures and starts nothing (the test runs a private instance). Never for run.sh:
# a user's machine gets no second MTA.
if [ "${1:-}" = "--test" ]; then
  packages+=(postfix)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps.sh: installing ${missing[*]} needs root" >&2; exit 1; }
  as_root=(sudo)
fi
echo "deps.sh: installing ${missing[*]}" >&2
if [[ " ${missing[*]} " == *" postfix "* ]]; then
  echo "postfix postfix/main_mailer_type select No configuration" |
    "${as_root[@]}" debconf-set-selections
fi
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
