#!/bin/sh
# Builds the QuickFIX C++ reference acceptor: build.sh OUT
# Needs libquickfix-dev (QuickFIX C++ 1.15.1 on Debian: apt-get install -y
# libquickfix-dev). Its headers compile only as C++14 or older. Does nothing
# when OUT is newer than the sources.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUT}
if [ -x "$out" ] && [ "$out" -nt "$here/main.cpp" ] && [ "$out" -nt "$here/build.sh" ]; then
    exit 0
fi
if [ ! -f /usr/include/quickfix/SocketAcceptor.h ]; then
    echo "build.sh: QuickFIX C++ headers not found (apt-get install -y libquickfix-dev)" >&2
    exit 1
fi
mkdir -p "$(dirname "$out")"
# -Wno-deprecated: QuickFIX 1.15.1's interface uses dynamic exception specifications.
g++ -std=gnu++14 -O2 -Wall -Wextra -Wno-deprecated -o "$out.tmp" "$here/main.cpp" -lquickfix -lpthread
mv "$out.tmp" "$out"
