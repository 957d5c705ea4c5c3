#!/usr/bin/env bash
# Writes the benchmark's certificates into DIR (default Benchmarks/.certs): a P-256 root, and an ECDSA P-256 and an
# RSA-2048 leaf for "localhost" issued by it. All three contenders load the same PEM files.
set -euo pipefail
dir="${1:-Benchmarks/.certs}"
mkdir -p "$dir"
cd "$dir"
[ -f root.pem ] && [ -f ecdsa.pem ] && [ -f rsa.pem ] && exit 0
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root.key 2>/dev/null
openssl req -x509 -new -key root.key -days 3650 -subj "/O=TLSKit/CN=TLSKit bench root" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out root.pem
cat > leaf.ext <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ecdsa.key 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
for kind in ecdsa rsa; do
    openssl req -new -key "$kind.key" -subj "/CN=localhost" -out "$kind.csr"
    openssl x509 -req -in "$kind.csr" -CA root.pem -CAkey root.key -CAcreateserial -days 3650 \
        -extfile leaf.ext -out "$kind.pem" 2>/dev/null
done
rm -f ./*.csr leaf.ext root.srl
