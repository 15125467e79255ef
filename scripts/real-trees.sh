#!/usr/bin/env bash
# Real trees for `xtask bench --floor`: public packages whose tarballs ship real
# application source, downloaded from the registries (nothing from them is run: npm's
# tarball is fetched with --ignore-scripts, PyPI's sdist straight from its JSON API, and
# both are only extracted). Usage: scripts/real-trees.sh [DIR] (default target/bench/real),
# then `cargo run --release -p xtask -- bench DIR/<tree> --floor`.
set -euo pipefail
dir="${1:-target/bench/real}"
mkdir -p "$dir"
cd "$dir"

npm_tree() { # name package@version
  [ -d "$1" ] && return
  mkdir -p "$1.tmp"
  (cd "$1.tmp" && npm pack --ignore-scripts --silent "$2" > /dev/null && tar -xzf ./*.tgz && rm ./*.tgz)
  mv "$1.tmp/package" "$1" && rmdir "$1.tmp"
}

pypi_tree() { # name project version
  [ -d "$1" ] && return
  index="https://pypi.org/pypi/$2/json"
  url=$(curl -fsSL "$index" | python3 -c '
import json, sys, urllib.parse
files = json.load(sys.stdin)["releases"][sys.argv[2]]
sdist = next(f["url"] for f in files if f["packagetype"] == "sdist")
print(urllib.parse.urljoin(sys.argv[1], sdist))' "$index" "$3")
  mkdir -p "$1.tmp"
  curl -fsSL "$url" | tar -xz -C "$1.tmp"
  mv "$1.tmp"/* "$1" && rmdir "$1.tmp"
}

npm_tree parse-server parse-server@9.10.0   # Express app and its Mongo/Postgres adapters
pypi_tree wagtail wagtail 8.0.1             # Django CMS with its migrations
pypi_tree django-oscar django-oscar 4.2.1   # Django e-commerce with its migrations
ls -d */
