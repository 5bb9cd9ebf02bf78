#!/usr/bin/env bash
# run.sh: the README's first command. Installs what is needed, builds the release binary and
# starts `estafeta serve` on its embedded default (data dir, generated certificates, ports
# 25/587/465 for SMTP, 143/993 for IMAP, 110/995 for POP3), with /usr/sbin/sendmail linked to
# it when there is none. Extra arguments go to `estafeta serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset release >/dev/null
cmake --build build/release --target estafeta
if [ "$(id -u)" -eq 0 ] && ! id estafeta >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /var/lib/estafeta --shell /usr/sbin/nologin estafeta
fi
# The sendmail entry point for cron, mail(1), PHP and git: a symlink, only where no sendmail
# exists (another MTA's is never replaced).
if [ "$(id -u)" -eq 0 ] && [ ! -e /usr/sbin/sendmail ] && [ ! -L /usr/sbin/sendmail ]; then
  ln -s "$(pwd)/build/release/src/cli/estafeta" /usr/sbin/sendmail
fi
exec build/release/src/cli/estafeta serve "$@"
