#!/usr/bin/env bash
# Writes the benchmark's certificates into DIR (default Benchmarks/.certs): a P-256 root, a P-256 intermediate CA it
# issued, and an ECDSA P-256 and an RSA-2048 leaf for "localhost" issued by the intermediate, as real servers are set
# up. ecdsa.pem and rsa.pem hold the chain a server sends: leaf, then intermediate. Every contender loads the same
# PEM files; clients trust root.pem alone, so every handshake verifies leaf ← intermediate ← root.
set -euo pipefail
dir="${1:-Benchmarks/.certs}"
mkdir -p "$dir"
cd "$dir"
[ -f root.pem ] && [ -f intermediate.pem ] && [ -f ecdsa.pem ] && [ -f rsa.pem ] && exit 0
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root.key 2>/dev/null
openssl req -x509 -new -key root.key -days 3650 -subj "/O=TLSKit/CN=TLSKit bench root" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" -out root.pem
cat > ca.ext <<'EXT'
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out intermediate.key 2>/dev/null
openssl req -new -key intermediate.key -subj "/O=TLSKit/CN=TLSKit bench intermediate" -out intermediate.csr
openssl x509 -req -in intermediate.csr -CA root.pem -CAkey root.key -CAcreateserial -days 3650 \
    -extfile ca.ext -out intermediate.pem 2>/dev/null
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
    openssl x509 -req -in "$kind.csr" -CA intermediate.pem -CAkey intermediate.key -CAcreateserial -days 3650 \
        -extfile leaf.ext -out "$kind.leaf.pem" 2>/dev/null
    cat "$kind.leaf.pem" intermediate.pem > "$kind.pem"
done
rm -f ./*.csr ./*.ext ./*.srl
openssl verify -CAfile root.pem -untrusted intermediate.pem ecdsa.leaf.pem rsa.leaf.pem >/dev/null
