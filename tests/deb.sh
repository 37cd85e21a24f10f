#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The Debian package (issue 13, runs as a service): make deb builds it;
# lintian finds no error; dpkg -i installs it into this system (root and
# dpkg only: CI and the dev machines are throw-away containers); the files
# are there with their modes and owners, the conffiles are conffiles, dpkg
# --verify is clean, /usr/bin/calltap runs; systemd-analyze verify accepts
# the installed unit (its man page included); the service starts under
# systemd as PID 1, else the unit's ExecStart runs by hand as an
# unprivileged user holding only the unit's capabilities, on a bundled
# capture (same records as the build tree's binary) and live on a dummy
# interface (the loopback where none can be made); a reinstall keeps an edited conffile; dpkg -r leaves only the
# conffiles, dpkg -P leaves nothing (file lists before and after). A trap
# purges the package and removes what the test made, even on failure.
. "$(dirname "$0")/lib.sh"
pkg=calltap
if [ "$(id -u)" -ne 0 ] || ! command -v dpkg >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
	echo "skip: needs root, dpkg and dpkg-deb (installs the package into this system)"
	exit 77
fi
if [ ! -f "$builddir/Makefile" ]; then
	echo "skip: no Makefile in $builddir (make deb builds from the build tree)"
	exit 77
fi
st=$(dpkg-query -W -f='${db:Status-Status}' $pkg 2>/dev/null || true)
if [ -n "$st" ] && [ "$st" != not-installed ]; then
	echo "skip: package $pkg is already on this system ($st): not touched"
	exit 77
fi
if [ -e /usr/bin/calltap ] || [ -e /etc/calltap ] || [ -e /lib/systemd/system/calltap.service ]; then
	echo "skip: /usr/bin/calltap, /etc/calltap or the unit exists outside dpkg: not touched"
	exit 77
fi

t=$(mktemp -d) || exit 1
chmod 0755 "$t"
dummy=
installed=
cleanup() {
	[ -n "$dummy" ] && ip link del "$dummy" 2>/dev/null
	if [ -n "$installed" ]; then
		[ -d /run/systemd/system ] && systemctl stop calltap.service >/dev/null 2>&1
		dpkg --purge $pkg >/dev/null 2>&1
	fi
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# dpkg waits for nobody: another apt/dpkg (a parallel setup) holds its lock.
dpkg_do() {
	i=0
	while :; do
		dpkg "$@" >"$t/dpkg.out" 2>&1 && return 0
		grep -q "lock" "$t/dpkg.out" && [ $i -lt 60 ] || { cat "$t/dpkg.out" >"$t/err"; return 1; }
		i=$((i + 1))
		sleep 2
	done
}
# The files of this system that the package could touch (not dpkg's and
# apt's own databases, caches and logs: they record the run).
snapshot() {
	{ find /etc /usr /lib /var/lib /opt /srv -xdev \
	    \( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/lib/ucf -o \
	       -path /var/lib/man-db -o -path /var/lib/systemd/catalog -o -path /var/lib/logrotate \) -prune \
	    -o -print 2>/dev/null
	ls -d /var/lib/dpkg/info/$pkg.* /var/lib/dpkg/info/$pkg:* 2>/dev/null; } | LC_ALL=C sort
}
mode() { stat -c '%a %U:%G' "$1" 2>/dev/null; }

snapshot >"$t/before"

# make deb, in a directory of the test's.
(cd "$builddir" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make deb DEB_OUTDIR="$t") >"$t/err" 2>&1
deb=$(ls "$t"/${pkg}_*.deb 2>/dev/null | head -1)
if [ -n "$deb" ] && dpkg-deb -I "$deb" >"$t/info" 2>&1; then
	ok "make deb: $(basename "$deb"), $(stat -c %s "$deb") bytes"
else
	bad "make deb"
	echo "deb: $pass passed, $fail failed"
	exit 1
fi
version=$(dpkg-deb -f "$deb" Version)
depends=$(dpkg-deb -f "$deb" Depends)
missing=
for lib in libc6 libpcap0.8 libosip2 libsqlite3-0; do
	echo "$depends" | grep -q "\\b${lib}[-0-9]* (>= " || missing="$missing $lib"
done
[ -z "$missing" ] && [ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ] &&
    [ "$version" = "$("$CALLTAP" --version | sed -n '1s/^calltap //p')" ] &&
    ok "control: version $version, Depends from the binary's libraries with versions" ||
    bad "control: Depends '$depends' lacks$missing, version '$version'"
dpkg-deb -c "$deb" >"$t/contents"
if awk '$2 != "root/root" { bad = 1 } END { exit bad }' "$t/contents" &&
    [ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -c -e '^./conffiles$' -e '^./md5sums$' -e '^./postinst$' -e '^./prerm$' -e '^./postrm$')" -eq 5 ]; then
	ok "package: every file root/root; conffiles, md5sums and maintainer scripts"
else bad "package contents or control files"; fi
if command -v lintian >/dev/null 2>&1; then
	lintian "$deb" >"$t/lint" 2>&1
	if ! grep -q '^E:' "$t/lint"; then
		ok "lintian: no error ($(grep -c '^W:' "$t/lint") warnings)"
	else cp "$t/lint" "$t/err"; bad "lintian errors"; fi
else
	echo "skip lintian: not installed (Debian: lintian)"
fi

# Install. (Checks below with no command output of their own start with
# an empty $t/err, so that bad shows nothing stale.)
installed=1
if dpkg_do -i "$deb"; then
	ok "dpkg -i"
else bad "dpkg -i"; fi
st=$(dpkg-query -W -f='${db:Status-Status}' $pkg 2>/dev/null)
[ "$st" = installed ] && ok "dpkg: $pkg $(dpkg-query -W -f='${Version}' $pkg) installed" || bad "status '$st'"

# Files, modes and owners.
: >"$t/err"
files_ok=1
check_file() { # path mode
	m=$(mode "$1")
	[ "$m" = "$2 root:root" ] || { echo "     | $1: '$m', want '$2 root:root'"; files_ok=0; }
}
check_file /usr/bin/calltap 755
check_file /etc/calltap 755
check_file /etc/calltap/calltap.conf 644
check_file /etc/logrotate.d/calltap 644
check_file /lib/systemd/system/calltap.service 644
check_file /usr/share/man/man1/calltap.1.gz 644
check_file /usr/share/man/man1/calltap-report.1.gz 644
check_file /usr/share/doc/calltap/copyright 644
check_file /usr/share/doc/calltap/examples/calltap.conf.example 644
[ $files_ok -eq 1 ] && ok "installed files: modes 755/644, root:root" || bad "installed files"
unit=/lib/systemd/system/calltap.service
exec_start=$(sed -n 's/^ExecStart=//p' $unit 2>/dev/null)
[ "$exec_start" = "/usr/bin/calltap --config /etc/calltap/calltap.conf --syslog" ] &&
    cmp -s /etc/calltap/calltap.conf "$srcdir/scripts/calltap.conf.example" &&
    ok "unit runs /usr/bin/calltap --config /etc/calltap/calltap.conf; the conffile is the example" ||
    bad "unit ExecStart '$exec_start' or conffile content"
cf=$(dpkg-query -W -f='${Conffiles}' $pkg | awk '{ print $1 }' | LC_ALL=C sort | paste -sd' ' -)
[ "$cf" = "/etc/calltap/calltap.conf /etc/logrotate.d/calltap" ] &&
    ok "conffiles: $cf" || bad "conffiles '$cf'"
dpkg --verify $pkg >"$t/err" 2>&1 && [ ! -s "$t/err" ] && ok "dpkg --verify: clean" || bad "dpkg --verify"
v=$(/usr/bin/calltap --version 2>&1 | head -1)
[ "$v" = "calltap $version" ] && ok "/usr/bin/calltap --version: $v" || bad "/usr/bin/calltap --version: '$v'"
if command -v man >/dev/null 2>&1 && [ -d /usr/share/man ]; then
	man -w calltap >/dev/null 2>&1 && ok "man calltap found" || bad "man calltap not found"
fi

# The installed unit: verify with the installed man page.
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze verify $unit >"$t/err" 2>&1
	st=$?
	if [ $st -eq 0 ] && [ ! -s "$t/err" ]; then
		ok "systemd-analyze verify $unit: no complaint"
	elif grep -qi "failed to connect\|not booted\|no such file or directory.*bus" "$t/err"; then
		echo "skip systemd-analyze verify: cannot run here: $(head -1 "$t/err")"
	else bad "systemd-analyze verify: exit $st"; fi
else
	echo "skip systemd-analyze verify: no systemd-analyze (Debian: systemd)"
fi

# The ExecStart command line by hand, as the unit runs it: an unprivileged
# user (the unit's is dynamic) with only CAP_NET_RAW and CAP_NET_ADMIN, no
# new privileges, in its working directory; the options the sensor's config
# would give come after it on the command line.
cp "$srcdir/pcaps/sipp-many.pcap" "$t/cap.pcap"
chmod 0644 "$t/cap.pcap"
mkdir "$t/state"
chown nobody "$t/state"
as_unit() { # the unit's user and capabilities, where setpriv can give them
	if command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1 &&
	    setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	        --inh-caps=+net_raw,+net_admin --ambient-caps=+net_raw,+net_admin \
	        --bounding-set=-all,+net_raw,+net_admin --no-new-privs true 2>/dev/null; then
		setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		    --inh-caps=+net_raw,+net_admin --ambient-caps=+net_raw,+net_admin \
		    --bounding-set=-all,+net_raw,+net_admin --no-new-privs "$@"
	else
		"$@"
	fi
}
# shellcheck disable=SC2086 # the unit's command line, split as systemd does
(cd "$t/state" && as_unit $exec_start -q -r "$t/cap.pcap" --json calls.json) 2>"$t/err"
st=$?
"$CALLTAP" -q -r "$t/cap.pcap" --json "$t/ref.json" 2>/dev/null
if [ $st -eq 0 ] && [ -s "$t/state/calls.json" ] && cmp -s "$t/state/calls.json" "$t/ref.json"; then
	ok "ExecStart by hand (user nobody, the unit's capabilities) on a capture: $(wc -l <"$t/ref.json") records, same as the build tree's"
else bad "ExecStart by hand on a capture: exit $st"; fi

if [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
	# The service itself, on the loopback interface.
	cat >/etc/calltap/calltap.conf <<EOF
interface = lo
json = calls.json
sensor = deb-test
EOF
	systemctl start calltap.service
	sleep 2
	mainpid=$(systemctl show -p MainPID --value calltap.service)
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$mainpid/status" 2>/dev/null)
	if [ "$(systemctl is-active calltap.service)" = active ] && [ -n "$uid" ] && [ "$uid" != 0 ]; then
		ok "systemctl start calltap: active, pid $mainpid, uid $uid (dynamic user)"
	else
		journalctl -u calltap.service -n 20 --no-pager >"$t/err" 2>&1
		bad "systemctl start calltap: $(systemctl is-active calltap.service)"
	fi
	systemctl reload calltap.service && sleep 1 &&
	    [ "$(systemctl is-active calltap.service)" = active ] &&
	    ok "systemctl reload (SIGHUP): still active" || bad "systemctl reload"
	systemctl stop calltap.service
	r=$(systemctl show -p Result --value calltap.service)
	[ "$r" = success ] && [ -f /var/lib/calltap/calls.json ] &&
	    ok "systemctl stop: result $r, /var/lib/calltap/calls.json written" ||
	    bad "systemctl stop: result '$r'"
	cp "$srcdir/scripts/calltap.conf.example" /etc/calltap/calltap.conf
else
	echo "skip systemctl start: systemd is not PID 1 here; the ExecStart line runs by hand instead"
	# Live, as the service would capture, for a second: on a dummy
	# interface, else on the loopback.
	dummy=ctdeb$$
	if command -v ip >/dev/null 2>&1 && ip link add "$dummy" type dummy 2>/dev/null &&
	    ip link set "$dummy" up 2>/dev/null; then
		iface=$dummy
	else
		dummy=
		iface=lo
	fi
	# shellcheck disable=SC2086
	(cd "$t/state" && as_unit timeout -s TERM 1 $exec_start -q -i "$iface" --json live.json) 2>"$t/err"
	st=$?
	# 124: still capturing when SIGTERM came after a second.
	if [ $st -eq 124 ] && [ -e "$t/state/live.json" ] &&
	    ! grep -qi "cannot\|error\|denied\|permitted" "$t/err"; then
		ok "ExecStart by hand, live on $iface: captured a second, SIGTERM ends it cleanly"
	else bad "ExecStart by hand, live on $iface: exit $st"; fi
fi

# Reinstall (an upgrade to the same version): an edited conffile stays.
: >"$t/err"
echo "sensor = deb-test-edit" >>/etc/calltap/calltap.conf
if dpkg_do -i "$deb" && grep -q '^sensor = deb-test-edit$' /etc/calltap/calltap.conf &&
    [ "$(dpkg-query -W -f='${db:Status-Status}' $pkg)" = installed ]; then
	ok "reinstall: the edited conffile is kept"
else bad "reinstall"; fi
dpkg-query -L $pkg >"$t/owned"

# dpkg -r: only the conffiles (and systemd's mask of the removed unit) stay.
if dpkg_do -r $pkg; then ok "dpkg -r"; else bad "dpkg -r"; fi
snapshot >"$t/removed"
LC_ALL=C comm -13 "$t/before" "$t/removed" >"$t/left"
[ -n "${DEB_TEST_VERBOSE:-}" ] && sed 's/^/     after -r: /' "$t/left"
unexpected=$(grep -v -x -e /etc/calltap -e /etc/calltap/calltap.conf -e /etc/logrotate.d/calltap \
    -e '/etc/systemd/system/calltap.service' -e '/var/lib/systemd/deb-systemd-helper-masked.*' \
    -e '/var/lib/systemd/deb-systemd-helper-.*' -e '/var/lib/dpkg/info/calltap\..*' "$t/left" | grep calltap)
st=$(dpkg-query -W -f='${db:Status-Status}' $pkg 2>/dev/null)
if [ "$st" = config-files ] && [ -z "$unexpected" ] && [ ! -e /usr/bin/calltap ] && [ ! -e $unit ] &&
    [ -f /etc/calltap/calltap.conf ]; then
	ok "after dpkg -r: binary and unit gone, conffiles kept (status $st)"
else
	echo "$unexpected" >"$t/err"
	bad "after dpkg -r: status '$st'"
fi

# dpkg -P: nothing of the package is left.
if dpkg_do -P $pkg; then ok "dpkg -P"; else bad "dpkg -P"; fi
installed=
snapshot >"$t/after"
LC_ALL=C comm -13 "$t/before" "$t/after" >"$t/left"
LC_ALL=C comm -23 "$t/before" "$t/after" >"$t/gone"
ours=$(grep calltap "$t/left")
still=
while read -r f; do
	# (directories are shared: the file lists above judge them)
	[ -e "$f" ] && [ ! -d "$f" ] && still="$still $f"
done <"$t/owned"
st=$(dpkg-query -W -f='${db:Status-Status}' $pkg 2>/dev/null || echo not-installed)
if [ -z "$ours" ] && [ -z "$still" ] && [ ! -s "$t/gone" ] && [ ! -e /etc/calltap ] &&
    { [ "$st" = not-installed ] || [ -z "$st" ]; }; then
	ok "after dpkg -P: no file left, none removed ($(wc -l <"$t/after") paths compared)"
else
	{ echo "left:$ours$still"; echo "removed:"; cat "$t/gone"; } >"$t/err"
	bad "after dpkg -P: status '$st'"
fi
# Paths that appeared meanwhile without the package's name: another job's.
others=$(grep -v calltap "$t/left" | head -5)
[ -n "$others" ] && echo "note: paths added meanwhile, not the package's: $(echo "$others" | paste -sd' ' -)"

echo "deb: $pass passed, $fail failed"
[ $fail -eq 0 ]
