#!/usr/bin/env python3
"""Documentation coverage of public declarations, from symbol graphs (swift-symbolgraph-extract or
`swift package dump-symbol-graph` output).

    scripts/doc-coverage.py DIR [DIR ...] [--catalog=PATH.docc ...] [--list]

Counts, per module, the public symbols declared in that module's own sources (including its extensions of other
modules' types, e.g. TLSKitNIO@NIOCore) and how many carry a doc comment of their own. Symbols without a source
location (synthesized conformances, inherited defaults) are not counted. `--list` prints the undocumented ones.
With `--catalog=`, a symbol that a DocC documentation extension file (``Module/Type/member`` heading) documents
counts too, reported apart ("with the catalog").
"""
import json, os, sys
from collections import defaultdict

import re
directories = [a for a in sys.argv[1:] if not a.startswith("--")]
listing = "--list" in sys.argv
extended = set()
for catalog in [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--catalog=")]:
    for root, _, names in os.walk(catalog):
        for name in names:
            if name.endswith(".md"):
                heading = open(os.path.join(root, name)).readline()
                match = re.match(r"#\s*``([^`]+)``", heading)
                if match:
                    extended.add(match.group(1))
by_catalog = defaultdict(int)
totals = defaultdict(lambda: [0, 0])
undocumented = defaultdict(list)
files = [(d, n) for d in directories for n in sorted(os.listdir(d)) if n.endswith(".symbols.json")]
for directory, name in files:
    module = name.split(".symbols.json")[0].split("@")[0]
    graph = json.load(open(os.path.join(directory, name)))
    for symbol in graph["symbols"]:
        location = symbol.get("location", {}).get("uri", "")
        if not location or "/Sources/" not in location:
            continue
        if "/.build/" in location:
            continue
        totals[module][0] += 1
        doc = symbol.get("docComment")
        # A doc comment inherited from a protocol requirement has a module of its own, not this one.
        if doc and doc.get("lines") and doc.get("module", module) == module:
            totals[module][1] += 1
        elif module + "/" + "/".join(symbol["pathComponents"]) in extended:
            by_catalog[module] += 1
        else:
            path = "/".join(location.split("/Sources/")[-1].split("/"))
            undocumented[module].append(f"{path}: {symbol['kind']['identifier']} {'.'.join(symbol['pathComponents'])}")
for module, (count, documented) in sorted(totals.items()):
    line = f"{module}: {documented}/{count} public symbols with a doc comment ({100.0 * documented / max(count, 1):.1f}%)"
    if extended:
        total = documented + by_catalog[module]
        line += f"; with the catalog {total}/{count} ({100.0 * total / max(count, 1):.1f}%)"
    print(line)
    if listing:
        for line in sorted(undocumented[module]):
            print("  " + line)
