#!/usr/bin/env python3
"""Fails when a ```swift block of a DocC article is not code from Examples/.

Articles show code taken verbatim from the example packages, which CI builds and runs, so
the code a reader copies compiles. A block passes when its lines (ignoring indentation)
appear consecutively in one file under Examples/; the failure names the article and line.

Usage: scripts/check-doc-code.py   (run from the package root)
"""
import glob
import re
import sys

BLOCK = re.compile(r"^```swift\n(.*?)^```", re.M | re.S)


def stripped(text):
    return [line.strip() for line in text.splitlines()]


def contains(haystack, needle):
    n = len(needle)
    return any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


def main():
    examples = {p: stripped(open(p).read()) for p in glob.glob("Examples/**/*.swift", recursive=True)}
    articles = sorted(glob.glob("Sources/*/*.docc/**/*.md", recursive=True))
    failures, checked = [], 0
    for article in articles:
        text = open(article).read()
        for match in BLOCK.finditer(text):
            checked += 1
            lines = stripped(match.group(1))
            if not any(contains(code, lines) for code in examples.values()):
                line = text[:match.start()].count("\n") + 1
                failures.append(f"{article}:{line}: swift block is not code from Examples/ (copy it from there)")
    for f in failures:
        print(f)
    if failures:
        sys.exit(f"check-doc-code: {len(failures)} of {checked} swift blocks not taken from Examples/")
    print(f"check-doc-code: {checked} swift blocks in {len(articles)} articles are code from Examples/", file=sys.stderr)


if __name__ == "__main__":
    main()
