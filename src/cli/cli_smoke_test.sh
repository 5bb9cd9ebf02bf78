#!/bin/sh
# cli_smoke_test: runs the real `estafeta` binary's account and config subcommands against a
# temporary data dir and checks their output and exit codes (the server itself is tested by
# tests/integration). Usage: cli_smoke_test.sh path/to/estafeta
set -u
E=${1:?usage: cli_smoke_test.sh path/to/estafeta}
T=$(mktemp -d /tmp/estafeta-cli-test-XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
printf 'data_dir = "%s/data"\n' "$T" > "$T/estafeta.toml"
export ESTAFETA_CONFIG="$T/estafeta.toml"
failures=0

# expect CODE "expected output substring" command...
expect() {
  code=$1; want=$2; shift 2
  out=$("$@" 2>&1 </dev/null); got=$?
  case "$out" in *"$want"*) ok=1 ;; *) ok=0 ;; esac
  if [ "$got" -ne "$code" ] || [ $ok -ne 1 ]; then
    echo "FAIL: $* -> exit $got (want $code), output: $out (want: $want)"; failures=$((failures + 1))
  fi
}
# Same, with standard input from a string.
expect_in() {
  input=$1; code=$2; want=$3; shift 3
  out=$(printf '%s\n' "$input" | "$@" 2>&1); got=$?
  case "$out" in *"$want"*) ok=1 ;; *) ok=0 ;; esac
  if [ "$got" -ne "$code" ] || [ $ok -ne 1 ]; then
    echo "FAIL: $* -> exit $got (want $code), output: $out (want: $want)"; failures=$((failures + 1))
  fi
}

expect 0 "estafeta 0.1.0" "$E" --version
expect 0 "OK: $T/estafeta.toml" "$E" config check
expect_in "s3cret" 0 "added domain example.org" "$E" user add Alice@Example.org --password-stdin
expect_in "s3cret" 1 "already exists" "$E" user add alice@example.org --password-stdin
expect_in "" 1 "empty password" "$E" user add bob@example.org --password-stdin
expect 1 "no terminal" "$E" user add bob@example.org
expect 1 "--hash" "$E" user add bob@example.org --hash 'plain'
HASH='$6$saltsalt$8RWsOfwR6M6PpnoeQiEiWzNTPo1f0HjVYjDnLZhGx16aBFRkeqiHAzfXP/LgrOWMBMXqiU2pLrXsSOHNUyUm91'  # sha512-crypt of "x"
expect 0 "added user bob@example.org" "$E" user add bob@example.org --hash "$HASH"
expect 1 "excludes" "$E" user add c@example.org --password-stdin --hash "$HASH"
expect 0 "alice@example.org" "$E" user list
expect 0 "bob@example.org" "$E" -c "$T/estafeta.toml" user list
expect 0 "bob@example.org" "$E" user list -c "$T/estafeta.toml"
expect_in "new" 0 "password changed for alice@example.org" "$E" user passwd alice@example.org --password-stdin
expect_in "new" 1 "no such user" "$E" user passwd nobody@example.org --password-stdin
expect 0 "added domain example.net" "$E" domain add example.net
expect 1 "already exists" "$E" domain add EXAMPLE.net
expect 0 "example.net" "$E" domain list
expect 0 "added alias" "$E" alias add team@example.org alice@example.org bob@example.org
expect 0 "added alias" "$E" alias add @example.net alice@example.org
expect 1 "not a local domain" "$E" alias add x@nowhere.example alice@example.org
expect 0 "team@example.org -> bob@example.org" "$E" alias list
expect 0 "deleted alias team@example.org -> bob@example.org" "$E" alias del team@example.org bob@example.org
expect 1 "no such alias" "$E" alias del team@example.org bob@example.org
expect 1 "still has" "$E" domain del example.org
expect 0 "deleted user bob@example.org" "$E" user del bob@example.org
expect 1 "no such user" "$E" user del bob@example.org
expect 0 "deleted alias @example.net" "$E" alias del @example.net
expect 0 "deleted domain example.net" "$E" domain del example.net
expect 1 "subcommand" "$E"
expect 1 "subcommand" "$E" user
printf '[smtp]\nmax_recipients = 0\n' > "$T/bad.toml"
expect 1 "$T/bad.toml:2: smtp.max_recipients: expected an integer 1-100000" "$E" -c "$T/bad.toml" config check
expect 1 "$T/bad.toml:2: smtp.max_recipients" "$E" -c "$T/bad.toml" user list
printf '[tls]\ncertificate = "c.pem"\nprivate_key = "k.pem"\n' > "$T/tls.toml"
expect 1 "tls.certificate: cannot read $T/c.pem" "$E" -c "$T/tls.toml" config check
expect 1 "cannot open" "$E" -c "$T/missing.toml" config check
mode=$(stat -c %a "$T/data/accounts.db")
[ "$mode" = 600 ] || { echo "FAIL: accounts.db mode $mode"; failures=$((failures + 1)); }

[ $failures -eq 0 ] && echo "cli_smoke_test: all passed"
exit $((failures != 0))
