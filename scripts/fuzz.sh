#!/usr/bin/env bash
# Builds the libFuzzer executable with -sanitize=fuzzer,address (in .build-fuzz, apart from the normal build) and runs
# one target for SECONDS on one core, starting from the committed seeds in Fuzz/Corpus/TARGET. New inputs go to
# .build-fuzz/corpus/TARGET (not committed: the committed corpus stays a few dozen files); crashes land in
# Fuzz/Crashes/TARGET/ — commit them with a fix or a note.
#   scripts/fuzz.sh TARGET SECONDS [extra libFuzzer flags]
#   scripts/fuzz.sh all SECONDS    every target in turn, SECONDS each (CI runs this briefly: scripts/test.sh)
# TARGET: handshake-messages | server-engine | client-engine | certificate-loading | libcrypto-aead
# Reproduce a crash: TLSKIT_FUZZ_TARGET=TARGET .build-fuzz/debug/tlskit-fuzz Fuzz/Crashes/TARGET/crash-…
# (the normal suite replays every file in Fuzz/Corpus and Fuzz/Crashes: FuzzCorpusReplayTests).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET|all SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET|all SECONDS}
shift 2
# With the SystemLibcryptoAEAD trait, so the libcrypto-aead target compares the opt-in EVP record AEAD with
# swift-crypto's (it needs libssl-dev).
if ! pkg-config --exists libcrypto 2>/dev/null; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq libssl-dev pkg-config >/dev/null
fi
TLSKIT_FUZZ=1 nice swift build --scratch-path .build-fuzz --product tlskit-fuzz --traits SystemLibcryptoAEAD \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
# LeakSanitizer would report the fixtures' one-time certificates (statics, built once per process) at exit, turning
# every clean run into a "crash" on the empty input: Fuzz/lsan.supp suppresses exactly those. Per-input leak
# detection (libFuzzer's -detect_leaks) stays on.
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
run() {
    local name=$1
    shift
    mkdir -p "Fuzz/Corpus/$name" "Fuzz/Crashes/$name" ".build-fuzz/corpus/$name"
    TLSKIT_FUZZ_TARGET="$name" nice .build-fuzz/debug/tlskit-fuzz -max_total_time="$seconds" -max_len=16384 \
        -timeout=10 -rss_limit_mb=4096 -artifact_prefix="Fuzz/Crashes/$name/" -print_final_stats=1 "$@" \
        ".build-fuzz/corpus/$name" "Fuzz/Corpus/$name"
}
if [ "$target" = all ]; then
    for name in handshake-messages server-engine client-engine certificate-loading libcrypto-aead; do
        echo "fuzzing $name for $seconds s" >&2
        run "$name" "$@"
    done
else
    run "$target" "$@"
fi
