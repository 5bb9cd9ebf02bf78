#!/usr/bin/env bash
# regenerate.sh: remakes the S/MIME interoperability data in this folder with the reference
# tools only (openssl cms and gpgsm; nothing of Estafeta): a test CA, certificates and
# PKCS#12 files for alice@example.org and bob@example.org, and messages signed, encrypted
# and signed-then-encrypted by each tool. TEST-ONLY KEYS: the private keys are published
# here on purpose (README.md). Certificates are valid for 20 years so the committed data
# keeps verifying. Run from anywhere: bash tests/data/smime/regenerate.sh
set -euo pipefail
cd "$(dirname "$0")"
rm -f -- *.pem *.key *.p12 *.eml *.srl
work=$(mktemp -d)
trap 'gpgconf --homedir "$work/gnupg" --kill all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
t() { timeout 60 "$@"; }

cat >"$work/ca.cnf" <<'CNF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
CNF
t openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -subj "/O=Estafeta tests/CN=Estafeta Interop Test CA" \
  -days 7300 -config "$work/ca.cnf" -extensions ca -out ca.pem 2>/dev/null
for who in alice bob; do
  cat >"$work/$who.cnf" <<CNF
[ee]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = emailProtection
subjectAltName = email:$who@example.org
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
  t openssl req -newkey rsa:2048 -nodes -keyout "$who.key" -subj "/CN=${who^}" -config "$work/ca.cnf" \
    -out "$work/$who.csr" 2>/dev/null
  t openssl x509 -req -in "$work/$who.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 7300 \
    -extfile "$work/$who.cnf" -extensions ee -out "$who.pem" 2>/dev/null
  # Legacy PKCS#12 (3DES, SHA-1 MAC): gpgsm 2.2 reads no other. Passphrase "test".
  t openssl pkcs12 -export -in "$who.pem" -inkey "$who.key" -certfile ca.pem -name "$who@example.org" \
    -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1 -passout pass:test -out "$who.p12"
done
rm -f ca.srl

printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nHello Bob,\r\nthis message was made by %s.\r\n' \
  "openssl cms" >"$work/openssl.txt"
printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nHello Bob,\r\nthis message was made by %s.\r\n' \
  "gpgsm" >"$work/gpgsm.txt"
hdr=(-from alice@example.org -to bob@example.org)

# openssl cms: multipart/signed, opaque signed-data, enveloped (CBC), authEnveloped (GCM),
# signed then encrypted.
t openssl cms -sign -binary -in "$work/openssl.txt" -signer alice.pem -inkey alice.key -certfile ca.pem \
  "${hdr[@]}" -subject "openssl multipart/signed" -out openssl_signed.eml
t openssl cms -sign -nodetach -binary -in "$work/openssl.txt" -signer alice.pem -inkey alice.key \
  "${hdr[@]}" -subject "openssl signed-data" -out openssl_opaque.eml
t openssl cms -encrypt -aes-256-cbc -binary -in "$work/openssl.txt" "${hdr[@]}" \
  -subject "openssl enveloped-data" -out openssl_enveloped_cbc.eml bob.pem
t openssl cms -encrypt -aes-256-gcm -binary -in "$work/openssl.txt" "${hdr[@]}" \
  -subject "openssl authEnveloped-data" -out openssl_authenveloped_gcm.eml bob.pem
t openssl cms -sign -binary -in "$work/openssl.txt" -signer alice.pem -inkey alice.key -out "$work/inner.eml"
t openssl cms -encrypt -aes-256-gcm -binary -in "$work/inner.eml" "${hdr[@]}" \
  -subject "openssl signed then encrypted" -out openssl_signed_encrypted.eml bob.pem

# gpgsm: a private GNUPGHOME with the test CA trusted and both identities imported.
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
echo allow-loopback-pinentry >"$GNUPGHOME/gpg-agent.conf"
g() { t gpgsm --batch --disable-crl-checks --pinentry-mode loopback --passphrase-fd 0 "$@" <<<"test"; }
g --import ca.pem 2>/dev/null
fpr=$(gpgsm --with-colons --list-keys 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
echo "$fpr S relax" >"$GNUPGHOME/trustlist.txt"
g --import alice.p12 2>/dev/null
g --import bob.p12 2>/dev/null
b64() { base64 -w 76 | sed 's/$/\r/'; }
boundary="gpgsm-boundary-7f3a"
g --detach-sign --include-certs -1 -u alice@example.org --output "$work/g.sig" "$work/gpgsm.txt" 2>/dev/null
{
  printf 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: gpgsm multipart/signed\r\n'
  printf 'MIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="%s"\r\n\r\n' "$boundary"
  printf -- '--%s\r\n' "$boundary"
  cat "$work/gpgsm.txt"
  printf -- '\r\n--%s\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\n' "$boundary"
  printf 'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7s"\r\n\r\n'
  b64 <"$work/g.sig"
  printf -- '--%s--\r\n' "$boundary"
} >gpgsm_signed.eml
pkcs7() {  # subject smime-type file
  printf 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: %s\r\nMIME-Version: 1.0\r\n' "$1"
  printf 'Content-Type: application/pkcs7-mime; smime-type=%s; name="smime.p7m"\r\n' "$2"
  printf 'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7m"\r\n\r\n'
  b64 <"$3"
}
g --sign --include-certs -1 -u alice@example.org --output "$work/g.p7m" "$work/gpgsm.txt" 2>/dev/null
pkcs7 "gpgsm signed-data" signed-data "$work/g.p7m" >gpgsm_opaque.eml
g --encrypt -r bob@example.org --output "$work/g.enc" "$work/gpgsm.txt" 2>/dev/null
pkcs7 "gpgsm enveloped-data" enveloped-data "$work/g.enc" >gpgsm_enveloped.eml
g --sign --include-certs -1 -u alice@example.org --output "$work/g2.p7m" "$work/gpgsm.txt" 2>/dev/null
{
  printf 'Content-Type: application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"\r\n'
  printf 'Content-Transfer-Encoding: base64\r\n\r\n'
  b64 <"$work/g2.p7m"
} >"$work/g2.eml"
g --encrypt -r bob@example.org --output "$work/g2.enc" "$work/g2.eml" 2>/dev/null
pkcs7 "gpgsm signed then encrypted" enveloped-data "$work/g2.enc" >gpgsm_signed_encrypted.eml
ls -1 *.eml
