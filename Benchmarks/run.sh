#!/usr/bin/env bash
# The TLSKit benchmark in one command, from anywhere in the repository:
#   Benchmarks/run.sh [--quick] [--handshakes N] [--bulk-mib N] [--connections N] [--nio-connections N] [--only SECTION]
# Installs libssl-dev (and openssl) when missing, builds the benchmark package in release mode, runs it, prints the
# table and writes Benchmarks/results/latest.json. Iteration counts also come from BENCH_* variables (README).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if ! dpkg -s libssl-dev >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1 || ! command -v pkg-config >/dev/null 2>&1; then
    echo "installing libssl-dev, openssl, pkg-config" >&2
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq && $sudo apt-get install -y -qq libssl-dev openssl pkg-config >/dev/null
fi
Benchmarks/make-certs.sh Benchmarks/.certs
# Without the cached build plan: a file added to TLSKit (a path dependency) is otherwise missed now and then.
swift build -c release --package-path Benchmarks --product tlskit-bench --disable-build-manifest-caching >&2
bin="$(swift build -c release --package-path Benchmarks --show-bin-path)/tlskit-bench"
mkdir -p Benchmarks/results
echo "load before: $(uptime)" >&2
"$bin" --certs Benchmarks/.certs --json Benchmarks/results/latest.json "$@"
