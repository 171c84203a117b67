#!/usr/bin/env python3
"""The layering of the source tree, checked from its #include lines (README.md, "Architecture").

Usage: check_includes.py ROOT            checks ROOT; exit 1 and one line per broken rule
       check_includes.py --self-test     proves each rule catches a violation in a scratch tree

Layers, top down: server/main.cpp, server/app.* → server/api (routes) | server/background (lifecycle, expiry)
→ server/batch (the batch core) → server/aws, server/files, server/http (routes only), server/common → the leaf
libraries config/, translators/, storage/.
"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]', re.M)

# folder → include prefixes it must never use
FORBIDDEN = {
    "config/": ["server/", "translators/", "storage/", "deploy/", "boost/asio", "boost/beast"],
    "translators/": ["server/", "storage/", "deploy/", "boost/asio", "boost/beast"],
    "storage/": ["server/", "translators/", "deploy/", "boost/asio", "boost/beast"],
    "server/common/": ["server/aws/", "server/http/", "server/files/", "server/batch/", "server/background/",
                       "server/api/", "boost/beast"],
    "server/aws/": ["server/http/", "server/files/", "server/batch/", "server/background/", "server/api/"],
    "server/files/": ["server/aws/", "server/http/", "server/batch/", "server/background/", "server/api/",
                      "boost/asio", "boost/beast"],
    "server/http/": ["server/aws/", "server/files/", "server/batch/", "server/background/", "server/api/"],
    "server/batch/": ["server/http/", "server/background/", "server/api/", "boost/beast"],
    "server/background/": ["server/http/", "server/api/", "boost/beast"],
    "server/api/": ["server/background/"],
    "deploy/bedrock-emulator/": ["server/http/", "server/files/", "server/batch/", "server/background/",
                                 "server/api/"],
}
SOURCES = (".hpp", ".cpp", ".h", ".cc")


def violations(root):
    found = []
    for folder, banned in FORBIDDEN.items():
        base = os.path.join(root, folder)
        for dirpath, _, names in os.walk(base):
            for name in sorted(names):
                if not name.endswith(SOURCES):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                for included in INCLUDE.findall(text):
                    for prefix in banned:
                        if included.startswith(prefix):
                            rel = os.path.relpath(path, root)
                            found.append(f"{rel}: includes {included}, but {folder} may not include {prefix}")
    return found


def self_test():
    failures = 0
    for folder, banned in FORBIDDEN.items():
        for prefix in banned:
            with tempfile.TemporaryDirectory() as scratch:
                os.makedirs(os.path.join(scratch, folder))
                with open(os.path.join(scratch, folder, "x.cpp"), "w") as f:
                    f.write(f'#include "{prefix}thing.hpp"\n')
                if not violations(scratch):
                    print(f"self-test: {folder} including {prefix} was not caught")
                    failures += 1
    with tempfile.TemporaryDirectory() as scratch:
        os.makedirs(os.path.join(scratch, "server/api"))
        with open(os.path.join(scratch, "server/api/ok.cpp"), "w") as f:
            f.write('#include "server/batch/batch_core.hpp"\n#include "server/http/router.hpp"\n')
        if violations(scratch):
            print("self-test: an allowed include was reported")
            failures += 1
    print("self-test: " + ("ok" if failures == 0 else f"{failures} failure(s)"))
    return 1 if failures else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    found = violations(sys.argv[1])
    for line in found:
        print(line)
    print(f"layering: {len(found)} violation(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
