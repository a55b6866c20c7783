#!/usr/bin/env bash
# Makes the benchmark's certificates in directory $1 (idempotent): two CAs
# (ECDSA P-256 and RSA-2048) and one server certificate for each, valid for
# "localhost" and 127.0.0.1, with the extensions getpeercert decodes
# (subjectAltName, authorityInfoAccess, crlDistributionPoints).
set -euo pipefail
dir=${1:?usage: gen_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
[ -s ca.pem ] && [ -s ec.pem ] && [ -s rsa.pem ] && exit 0

cat > leaf.ext <<'EXT'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, DNS:bench.pyssl.test, DNS:*.bench.pyssl.test, IP:127.0.0.1, IP:::1
authorityInfoAccess = OCSP;URI:http://ocsp.pyssl.test/, caIssuers;URI:http://ca.pyssl.test/ca.der
crlDistributionPoints = URI:http://crl.pyssl.test/ca.crl
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
cat > ca.ext <<'EXT'
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EXT

subj_leaf='/C=XY/ST=Benchland/L=Loopback City/O=pyssl benchmarks/OU=Performance/CN=localhost'
for kind in ec rsa; do
  if [ "$kind" = ec ]; then
    keyopt=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256)
  else
    keyopt=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048)
  fi
  openssl genpkey "${keyopt[@]}" -out "ca-$kind.key" 2>/dev/null
  openssl req -new -x509 -key "ca-$kind.key" -sha256 -days 3650 \
    -subj "/C=XY/O=pyssl benchmarks/CN=pyssl bench CA ($kind)" \
    -extensions v3_ca -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n[v3_ca]\n'; cat ca.ext) \
    -out "ca-$kind.pem"
  openssl genpkey "${keyopt[@]}" -out "$kind.key" 2>/dev/null
  openssl req -new -key "$kind.key" -subj "$subj_leaf" -out "$kind.csr"
  openssl x509 -req -in "$kind.csr" -CA "ca-$kind.pem" -CAkey "ca-$kind.key" \
    -set_serial "0x$(openssl rand -hex 12)" -days 825 -sha256 -extfile leaf.ext \
    -out "$kind.pem" 2>/dev/null
  rm -f "$kind.csr"
done
cat ca-ec.pem ca-rsa.pem > ca.pem
rm -f leaf.ext ca.ext ca-*.key
