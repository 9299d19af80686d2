#!/usr/bin/env python3
"""Fails when a public symbol of the documented modules has no documentation comment.

Reads the symbol graphs that `swift package generate-documentation` extracted (public
symbols only) and prints one line per symbol written in our sources without a `///`
comment, as `file:line: kind Module.Path.name`, so the fix is one comment away.
Compiler-synthesised members (no source location) and extension blocks are skipped.

Usage: scripts/check-doc-comments.py MODULE...   (run from the package root)
"""
import glob
import json
import os
import sys


def newest_graphs(module):
    """The symbol-graph files of `module` from the most recent extraction."""
    folders = glob.glob(os.path.join(".build", "*", "extracted-symbols", "*", module))
    if not folders:
        sys.exit(f"check-doc-comments: no symbol graphs for {module} under .build/*/extracted-symbols "
                 "(run swift package generate-documentation first)")
    folder = max(folders, key=os.path.getmtime)
    return sorted(glob.glob(os.path.join(folder, "*.symbols.json")))


def undocumented(path, root):
    graph = json.load(open(path))
    module = graph["module"]["name"]
    for symbol in graph["symbols"]:
        if symbol["kind"]["identifier"] == "swift.extension":
            continue
        uri = symbol.get("location", {}).get("uri")
        if uri is None or symbol.get("docComment", {}).get("lines"):
            continue
        file = os.path.relpath(uri.removeprefix("file://"), root)
        line = symbol["location"]["position"]["line"] + 1
        name = ".".join([module] + symbol["pathComponents"])
        yield f"{file}:{line}: {symbol['kind']['displayName'].lower()} {name} has no documentation comment (///)"


def main():
    modules = sys.argv[1:]
    if not modules:
        sys.exit(__doc__)
    root = os.getcwd()
    missing = sorted({line for m in modules for g in newest_graphs(m) for line in undocumented(g, root)})
    for line in missing:
        print(line)
    if missing:
        print(f"check-doc-comments: {len(missing)} public symbol(s) of {', '.join(modules)} undocumented", file=sys.stderr)
        sys.exit(1)
    print(f"check-doc-comments: every public symbol of {', '.join(modules)} is documented", file=sys.stderr)


if __name__ == "__main__":
    main()
