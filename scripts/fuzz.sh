#!/usr/bin/env bash
# Builds one libFuzzer target with -sanitize=fuzzer,address (in .build-fuzz, apart from the normal build) and runs
# it for SECONDS on one core, starting from the committed seeds in Fuzz/Corpus/TARGET. New inputs go to
# .build-fuzz/corpus/TARGET (not committed: the committed corpus stays a few dozen files); crashes land in
# Fuzz/Crashes/TARGET/ — commit them with a fix or a note.
#   scripts/fuzz.sh TARGET SECONDS [extra libFuzzer flags]
# TARGET: handshake-messages | server-engine | client-engine | certificate-loading
# Reproduce a crash: .build-fuzz/debug/fuzz-TARGET Fuzz/Crashes/TARGET/crash-…
# (the normal suite replays every file in Fuzz/Corpus and Fuzz/Crashes: FuzzCorpusReplayTests).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
shift 2
TLSKIT_FUZZ=1 nice swift build --scratch-path .build-fuzz --product "fuzz-$target" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
mkdir -p "Fuzz/Corpus/$target" "Fuzz/Crashes/$target" ".build-fuzz/corpus/$target"
# LeakSanitizer would report the fixtures' one-time certificates (statics, built once per process) at exit, turning
# every clean run into a "crash" on the empty input: Fuzz/lsan.supp suppresses exactly those. Per-input leak
# detection (libFuzzer's -detect_leaks) stays on.
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
exec nice .build-fuzz/debug/"fuzz-$target" -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="Fuzz/Crashes/$target/" -print_final_stats=1 "$@" \
    ".build-fuzz/corpus/$target" "Fuzz/Corpus/$target"
