#!/bin/sh
# Regenerates the autotools build files.
set -e
cd "$(dirname "$0")"
mkdir -p m4
autoreconf -fi
