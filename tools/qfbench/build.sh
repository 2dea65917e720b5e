#!/usr/bin/env bash
# Builds the QuickFIX C++ latency initiator: tools/qfbench/build.sh OUT_PATH
# Needs g++ and libquickfix-dev (QuickFIX C++ 1.15.1; its headers compile only as C++14).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT_PATH" >&2
  exit 2
fi
out=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cxx=${CXX:-g++}

if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "build.sh: C++ compiler '$cxx' not found: apt-get install -y g++" >&2
  exit 1
fi
if ! echo '#include <quickfix/Session.h>' | "$cxx" -std=gnu++14 -x c++ -E - >/dev/null 2>&1; then
  echo "build.sh: libquickfix-dev is not installed: apt-get install -y libquickfix-dev" >&2
  exit 1
fi

mkdir -p "$(dirname "$out")"
# -Wno-deprecated: QuickFIX 1.15.1's interfaces use dynamic exception specifications.
"$cxx" -std=gnu++14 -O2 -Wall -Wextra -Wno-deprecated \
  -o "$out" "$here/qfbench.cpp" -lquickfix -lpthread
