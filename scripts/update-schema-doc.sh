#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Rewrites the three column lists of docs/schema.md (each between its marker
# lines "<!-- calls columns ..." / "<!-- end of calls columns -->" and the
# same for streams and intervals) from the schema table, src/sink/schema.c, as printed by
# the test program:
#   scripts/update-schema-doc.sh [BUILDDIR]     (default: the source tree)
# tests/unit/test_schema fails while docs/schema.md and the table differ.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
prog=$build/tests/unit/test_schema
[ -x "$prog" ] || { echo "$0: build $prog first (make tests/unit/test_schema)" >&2; exit 1; }
cols=$(mktemp)
trap 'rm -f "$cols"' EXIT
"$prog" --markdown >"$cols"
python3 - "$top/docs/schema.md" "$cols" <<'PY'
import sys
doc, cols = sys.argv[1:3]
text = open(doc, encoding="utf-8").read()
new = open(cols, encoding="utf-8").read()
for kind in ("calls", "streams", "intervals"):
    begin, end = "<!-- %s columns" % kind, "<!-- end of %s columns -->\n" % kind
    a, b = new.index(begin), new.index(end) + len(end)
    x = text.index(begin)
    y = text.index(end, x) + len(end)
    text = text[:x] + new[a:b] + text[y:]
open(doc, "w", encoding="utf-8").write(text)
PY
echo "docs/schema.md: column lists rewritten from src/sink/schema.c"
