#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Running as a service (issue 13): --config FILE gives the same records as
# the same options on the command line; the command line overrides a
# single-valued option and adds to a repeatable one; a bad line is one
# error naming FILE:LINE; as root a world-writable file is refused; every
# option of --help is in the example config, and the example with every
# line uncommented is accepted; --syslog sends messages to syslog with their
# level (a private /dev/log in a mount namespace, when root can make one);
# the systemd unit passes systemd-analyze verify with no complaint and a
# security exposure under 5; make install puts the unit, the example and
# the logrotate snippet in place.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
cap=$srcdir/pcaps/sipp-many.pcap
cap2=$srcdir/pcaps/OISF-sdp.pcap

# Same records from a config as from the command line.
"$CALLTAP" -q -r "$cap" -r "$cap2" --home 10.0.0.0/8 --sensor s1 --setup-timeout 100 \
    --country-code 44 --json "$t/cli.json" 2>"$t/err"
cat >"$t/a.conf" <<EOC
# the same run as a config file

read = $cap
read=$cap2
  home   =   10.0.0.0/8
sensor = s1
setup-timeout = 100
country-code = 44
quiet
json = $t/conf.json
EOC
"$CALLTAP" --config "$t/a.conf" 2>"$t/err"
st=$?
if [ $st -eq 0 ] && [ -s "$t/cli.json" ] && [ "$(wc -l <"$t/cli.json")" -gt 1 ] &&
    cmp -s "$t/cli.json" "$t/conf.json"; then
	ok "config equal to the command line: identical records ($(wc -l <"$t/conf.json") calls)"
else bad "config vs command line: exit $st"; fi

# The command line overrides (sensor) and adds (a second output, --json).
"$CALLTAP" --sensor s2 --config="$t/a.conf" --json "$t/more.json" 2>"$t/err"
st=$?
if [ $st -eq 0 ] && cmp -s "$t/conf.json" "$t/more.json" &&
    [ "$(grep -c '"sensor":"s2"' "$t/more.json")" -eq "$(wc -l <"$t/more.json")" ] &&
    ! grep -q '"sensor":"s1"' "$t/more.json"; then
	ok "command line overrides sensor and adds an output"
else bad "override/add: exit $st"; fi

# Errors name the file and the line; nothing runs.
check_err() { # name text expected-message
	printf '%b' "$2" >"$t/bad.conf"
	chmod 600 "$t/bad.conf"
	"$CALLTAP" --config "$t/bad.conf" -r "$cap" --json "$t/bad.json" >"$t/out" 2>"$t/err"
	st=$?
	if [ $st -eq 1 ] && [ "$(cat "$t/err")" = "calltap: $t/bad.conf:$3" ] && [ ! -e "$t/bad.json" ]; then
		ok "config error: $1"
	else bad "config error $1: exit $st"; fi
}
check_err "unknown option" '# c\n\nbogus = 1\n' "3: unknown option 'bogus'"
check_err "flag with a value" 'quiet = yes\n' "1: 'quiet' is a flag and takes no value (write it alone)"
check_err "value missing" 'sensor = x\njson\n' "2: 'json' needs a value: json = VALUE"
check_err "nested config" 'config = /etc/x\n' "1: 'config' cannot be given in a config file"
check_err "dashes" '--json = x\n' "1: write the option without dashes: 'json'"
printf 'setup-timeout = -5\n' >"$t/bad.conf"
"$CALLTAP" --config "$t/bad.conf" -r "$cap" --json "$t/bad.json" 2>"$t/err"
[ $? -eq 1 ] && grep -q "not a positive number of seconds" "$t/err" &&
    ok "a bad value from the config is refused like on the command line" || bad "bad value"
"$CALLTAP" --config "$t/a.conf" --conf "$t/a.conf" 2>"$t/err"
[ $? -eq 1 ] && grep -q "once, spelled in full" "$t/err" &&
    ok "a second or abbreviated --config refused" || bad "second --config"
"$CALLTAP" --config "$t/missing.conf" 2>"$t/err"
[ $? -eq 1 ] && grep -q "cannot read config file '$t/missing.conf'" "$t/err" &&
    ok "a missing config file named" || bad "missing config"

if [ "$(id -u)" -eq 0 ]; then
	cp "$t/a.conf" "$t/ww.conf"
	chmod 666 "$t/ww.conf"
	"$CALLTAP" --config "$t/ww.conf" 2>"$t/err"
	[ $? -eq 1 ] && grep -q "world-writable: refused when running as root" "$t/err" &&
	    ok "world-writable config refused as root" || bad "world-writable config"
else
	echo "skip world-writable config: not root"
fi

# The example config: every option of --help is there, and with every
# option line uncommented it is accepted (--help last: parsed, nothing run).
ex=$srcdir/scripts/calltap.conf.example
missing=
nopt=0
for o in $("$CALLTAP" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u | sed 's/^--//'); do
	case $o in config|help|version) continue ;; esac
	nopt=$((nopt + 1))
	grep -qE "^# $o( =|\$)" "$ex" || missing="$missing $o"
done
[ -z "$missing" ] && ok "example config lists every option" || bad "example config lacks$missing"
sed -n 's/^# \([a-z][a-z-]*\( = .*\)\{0,1\}\)$/\1/p' "$ex" >"$t/all.conf"
n=$(wc -l <"$t/all.conf")
"$CALLTAP" --config "$t/all.conf" --help >/dev/null 2>"$t/err"
st=$?
[ $st -eq 0 ] && [ "$n" -ge "$nopt" ] && [ "$nopt" -ge 30 ] && [ ! -s "$t/err" ] &&
    ok "example config, all $n options uncommented, is accepted" || bad "example uncommented: exit $st, $n lines"

# --syslog: a private /dev/log (mount namespace) receives the library's
# warnings with LOG_DAEMON|LOG_WARNING (<28>) and stderr has none of them.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1 &&
    unshare -m true 2>/dev/null; then
	cat >"$t/log.py" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
s.settimeout(2.0)
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[1], "w") as out:
    try:
        while True:
            out.write(s.recv(4096).decode(errors="replace") + "\n")
    except socket.timeout:
        pass
EOP
	unshare -m sh -c '
		mount --make-rprivate / && mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 || exit 9
		python3 "$1/log.py" "$1/log" & lp=$!
		i=0; while [ ! -e "$1/log.ready" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		"$2" --syslog -q -r "$3" --max-calls 1 --json /dev/null 2>"$1/err"
		echo $? >"$1/st"
		wait $lp' sh "$t" "$CALLTAP" "$cap" >/dev/null 2>&1
	if [ "$(cat "$t/st" 2>/dev/null)" = 0 ] && grep -q '^<28>.*calltap\[[0-9]*\]: call table full' "$t/log" &&
	    ! grep -q "call table full" "$t/err"; then
		ok "--syslog: warnings to syslog at LOG_WARNING, not on stderr"
	else bad "--syslog: $(cat "$t/st" 2>/dev/null) $(head -2 "$t/log" 2>/dev/null)"; fi
else
	echo "skip --syslog: needs root and unshare -m for a private /dev/log"
fi

# The systemd unit: verify (no man page lookup: not installed here) must
# neither fail nor warn; the offline security score must stay low.
unit=$builddir/scripts/calltap.service
if [ ! -f "$unit" ]; then
	echo "skip systemd unit: $unit not built"
elif ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "skip systemd-analyze verify: no systemd-analyze (Debian: systemd)"
else
	mkdir "$t/unit"
	bindir=$(sed -n 's|^ExecStart=\(.*\)/calltap .*|\1|p' "$unit")
	sed "s|^ExecStart=$bindir/calltap|ExecStart=$CALLTAP|" "$unit" >"$t/unit/calltap.service"
	grep -q "^ExecStart=$CALLTAP --config .*/calltap/calltap.conf --syslog\$" "$t/unit/calltap.service" &&
	    grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$t/unit/calltap.service" &&
	    grep -q '^AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN$' "$t/unit/calltap.service" &&
	    grep -q '^CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN$' "$t/unit/calltap.service" &&
	    grep -q '^NoNewPrivileges=yes$' "$t/unit/calltap.service" &&
	    grep -q '^ProtectSystem=strict$' "$t/unit/calltap.service" &&
	    ok "unit: ExecStart, ExecReload, capabilities, hardening" || bad "unit content"
	systemd-analyze verify --man=no "$t/unit/calltap.service" >"$t/err" 2>&1
	st=$?
	if [ $st -eq 0 ] && [ ! -s "$t/err" ]; then
		ok "systemd-analyze verify: no complaint"
	elif grep -qi "failed to connect\|not booted\|no such file or directory.*bus" "$t/err"; then
		echo "skip systemd-analyze verify: cannot run here: $(head -1 "$t/err")"
	else bad "systemd-analyze verify: exit $st"; fi
	if systemd-analyze security --offline=true "$t/unit/calltap.service" >"$t/sec" 2>&1; then
		score=$(sed -n 's/.*Overall exposure level for calltap.service: \([0-9.]*\).*/\1/p' "$t/sec")
		if [ -n "$score" ] && awk "BEGIN { exit !($score < 5.0) }"; then
			ok "systemd-analyze security: exposure $score (< 5.0)"
		else bad "systemd-analyze security: exposure '$score'"; fi
	else echo "skip systemd-analyze security --offline: not supported here"; fi
fi

# make install: the unit, the example config and the logrotate snippet.
if [ -f "$builddir/Makefile" ]; then
	(cd "$builddir" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make install DESTDIR="$t/inst") \
	    >"$t/err" 2>&1
	st=$?
	u=$(find "$t/inst" -path '*/lib/systemd/system/calltap.service' | head -1)
	e=$(find "$t/inst" -path '*/etc/calltap/calltap.conf.example' | head -1)
	l=$(find "$t/inst" -path '*/etc/logrotate.d/calltap' | head -1)
	if [ $st -eq 0 ] && [ -n "$u" ] && [ -n "$e" ] && [ -n "$l" ] && cmp -s "$e" "$ex" &&
	    grep -q "systemctl reload calltap" "$l"; then
		ok "make install: unit, example config, logrotate snippet"
	else bad "make install DESTDIR: exit $st, unit '$u' example '$e' logrotate '$l'"; fi
else
	echo "skip make install: no Makefile in $builddir"
fi

echo "service: $pass passed, $fail failed"
[ $fail -eq 0 ]
