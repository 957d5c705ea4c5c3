#!/usr/bin/env bash
# Builds the DocC documentation of TLSKit, TLSKitNIO and TLSKitHummingbird with warnings as errors (a broken symbol
# link or article reference fails), from symbol graphs extracted from the debug build that `swift build` made, so it
# takes seconds instead of a second build. Output: .build/docs/<Module>.doccarchive. Prints documentation coverage.
#   scripts/docs.sh            (after swift build; scripts/test.sh runs it)
# For users: `swift package generate-documentation --target TLSKit` (swift-docc-plugin) does the same.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(swift build --show-bin-path)
triple=$(basename "$(dirname "$bin")")
graphs=.build/docs/symbol-graphs
rm -rf .build/docs
mkdir -p "$graphs"
# The C modules SwiftNIO and swift-crypto import need their module maps and headers.
flags=()
while IFS= read -r map; do flags+=(-Xcc "-fmodule-map-file=$map"); done \
    < <(find "$bin" -maxdepth 2 -name module.modulemap)
while IFS= read -r include; do flags+=(-Xcc "-I$include"); done \
    < <(find .build/checkouts Sources -type d -name include)

for module in TLSKit TLSKitNIO TLSKitHummingbird; do
    mkdir -p "$graphs/$module"
    swift-symbolgraph-extract -module-name "$module" -I "$bin/Modules" "${flags[@]}" -target "$triple" \
        -minimum-access-level public -skip-inherited-docs -output-dir "$graphs/$module" 2>/dev/null
    catalog=Sources/$module/$module.docc
    args=(--additional-symbol-graph-dir "$graphs/$module" --output-path ".build/docs/$module.doccarchive"
          --fallback-display-name "$module" --fallback-bundle-identifier "org.tlskit.$module"
          --warnings-as-errors)
    if [ -d "$catalog" ]; then docc convert "$catalog" "${args[@]}"; else docc convert "${args[@]}"; fi
done
python3 scripts/doc-coverage.py "$graphs/TLSKit" "$graphs/TLSKitNIO" "$graphs/TLSKitHummingbird" \
    --catalog=Sources/TLSKit/TLSKit.docc --catalog=Sources/TLSKitNIO/TLSKitNIO.docc
