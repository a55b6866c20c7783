#!/bin/sh
# Generates every certificate the C tests and the Python oracle use.
#   gen_certs.sh OPENSSL_EXECUTABLE OUTPUT_DIR
# Files (PEM): ca, server (localhost + IP 127.0.0.1, signed by ca), client
# (clientAuth, signed by ca), selfsigned (localhost, self-signed), expired
# (localhost, signed by ca, validity in 2020), wronghost (wronghost.example,
# signed by ca), server_enc.key (server key encrypted with "secret"),
# server_combined.pem (server cert + key in one file), bad.pem (not PEM).
set -eu

OPENSSL=${1:?usage: gen_certs.sh OPENSSL OUTDIR}
OUT=${2:?usage: gen_certs.sh OPENSSL OUTDIR}

rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp"
cd "$OUT.tmp"

newkey() {
    "$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 \
        -out "$1" 2>/dev/null
}

# Extension sections for every certificate kind.
cat > ext.cnf <<'CNF'
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[wrong_ext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wronghost.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client_ext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[self_ext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyCertSign
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
CNF

# The CA.
newkey ca.key
"$OPENSSL" req -new -x509 -key ca.key -out ca.pem -days 3650 \
    -subj "/O=pyssl tests/CN=pyssl test CA" \
    -config ext.cnf -extensions ca_ext 2>/dev/null

# sign NAME SUBJECT EXTENSION: NAME.key, NAME.pem signed by the CA.
sign() {
    newkey "$1.key"
    "$OPENSSL" req -new -key "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
    "$OPENSSL" x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key \
        -set_serial "$4" -days 3650 -out "$1.pem" \
        -extfile ext.cnf -extensions "$3" 2>/dev/null
    rm -f "$1.csr"
}

sign server "/O=pyssl tests/CN=localhost" server_ext 4097
sign client "/O=pyssl tests/CN=client" client_ext 4098
sign wronghost "/O=pyssl tests/CN=wronghost.example" wrong_ext 4099

# Self-signed, valid for localhost.
newkey selfsigned.key
"$OPENSSL" req -new -x509 -key selfsigned.key -out selfsigned.pem -days 3650 \
    -subj "/O=pyssl tests/CN=localhost" \
    -config ext.cnf -extensions self_ext 2>/dev/null

# Expired: `openssl ca` is the CLI that takes explicit validity dates.
mkdir -p cadb
: > cadb/index.txt
echo 1001 > cadb/serial
cat > ca.cnf <<'CNF'
[ca]
default_ca = test_ca

[test_ca]
dir = .
database = cadb/index.txt
serial = cadb/serial
new_certs_dir = cadb
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = any_policy
unique_subject = no
copy_extensions = none
x509_extensions = server_ext

[any_policy]
organizationName = optional
commonName = supplied

[server_ext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
CNF
newkey expired.key
"$OPENSSL" req -new -key expired.key -out expired.csr \
    -subj "/O=pyssl tests/CN=localhost" 2>/dev/null
"$OPENSSL" ca -batch -config ca.cnf -in expired.csr -out expired.pem.full \
    -startdate 20200101000000Z -enddate 20200201000000Z -notext 2>/dev/null
"$OPENSSL" x509 -in expired.pem.full -out expired.pem
rm -rf cadb ca.cnf expired.csr expired.pem.full

# The server key encrypted with a password, and cert + key in one file.
"$OPENSSL" pkey -in server.key -aes256 -passout pass:secret -out server_enc.key
cat server.pem server.key > server_combined.pem

# Not PEM at all.
printf 'this is not a certificate\n' > bad.pem

rm -f ext.cnf ca.srl
cd ..
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
echo "certificates written to $OUT"

# --- hostile peers (test_hostile.c) ------------------------------------------
# big.pem / big.key: a self-signed localhost certificate carrying a
# 120,000-byte private extension, so that the Certificate message is well
# over OpenSSL's default max_cert_list (100 KiB).
cd "$OUT"
newkey big.key
{
    printf '[big_ext]\n'
    printf 'basicConstraints = CA:FALSE\n'
    printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\n'
    # An OCTET STRING (04 83 01d4c0) of 120,000 zero bytes.
    printf '1.3.6.1.4.1.55555.1 = DER:048301d4c0'
    head -c 120000 /dev/zero | od -An -v -tx1 | tr -d ' \n'
    printf '\n'
} > big_ext.cnf
"$OPENSSL" req -new -x509 -key big.key -out big.pem -days 3650 \
    -subj "/O=pyssl tests/CN=localhost" \
    -config big_ext.cnf -extensions big_ext 2>/dev/null
rm -f big_ext.cnf
echo "hostile-peer certificates written to $OUT"
