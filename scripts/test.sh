#!/usr/bin/env bash
# The whole test suite. Installs what the tests need (interop peers) when it is missing, then runs `swift test`.
# Interoperability tests fail, never skip, when a peer binary is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl >/dev/null 2>&1 || missing+=(curl)
{ command -v gnutls-cli && command -v gnutls-serv; } >/dev/null 2>&1 || missing+=(gnutls-bin)
# JSSEInteropTests run Tests/Peers/JSSEPeer.java with `java` in source-file mode, which needs a JDK (javac's module).
{ command -v java && command -v javac; } >/dev/null 2>&1 || missing+=(default-jdk-headless)
[ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
[ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)   # grpc-swift-nio-transport (Examples/) links zlib
# The fuzz build below enables the SystemLibcryptoAEAD trait (LibcryptoAEADProvider links the system libcrypto).
[ -f /usr/include/openssl/evp.h ] || missing+=(libssl-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing test dependencies: ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The gRPC example package (Examples/) is built in this package's .build, so that everything both share
# (swift-crypto, SwiftNIO, swift-nio-ssl, TLSKit, …) is reused: about a minute instead of fifteen. Two root packages in
# one .build: without --disable-build-manifest-caching SwiftPM may reuse the other package's cached build plan.
no_plan_cache=--disable-build-manifest-caching
swift build --build-tests $no_plan_cache
# The DocC documentation, warnings as errors (seconds: it reuses the debug build's modules).
scripts/docs.sh
# All tests are XCTest; the Swift Testing runner would only add a misleading "0 tests" closing line.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
swift test --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# The example programs (Examples/), each end to end on 127.0.0.1: its --self-test starts its own peer in-process,
# does one exchange, checks it and exits non-zero when anything does not match. Their dependencies are the main
# package's (built above) plus gRPC; the four programs beside the gRPC one add about 10 seconds (compile, link, run).
examples=(--package-path Examples --scratch-path "$PWD/.build" $no_plan_cache)
swift build "${examples[@]}"
bin=$(swift build "${examples[@]}" --show-bin-path)
for program in grpc-tlskit-example https-client http-server hummingbird-server engine-loop; do
    "$bin/$program" --self-test
done
# Every fuzz target for 45 s (sanitizers on, separate .build-fuzz; a few minutes of build the first time). A crash
# fails the run and leaves its input in Fuzz/Crashes. Leak detection is off here only: LeakSanitizer cannot run where
# ptrace is restricted (some CI containers); the campaigns of scripts/fuzz.sh keep it on.
set +e
ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" scripts/fuzz.sh all 45 2>&1 \
    | grep -E "^(fuzzing|Done|stat::(number_of_executed_units|average_exec_per_sec))|ERROR|SUMMARY|error:|finding"
fuzz_status=${PIPESTATUS[0]}
set -e
if [ "$fuzz_status" -ne 0 ]; then
    echo "fuzzing failed (status $fuzz_status): see Fuzz/Crashes" >&2
    [ "$status" -ne 0 ] || status=$fuzz_status
fi
summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -1)
executed=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
failed=$(echo "$summary" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
# The plain closing line: "N passed, N failed".
[ -n "$summary" ] && echo "$((executed - failed)) passed, $failed failed"
exit "$status"
