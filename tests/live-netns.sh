#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Live capture for real: two network namespaces joined by a veth pair (no
# addresses, nothing leaves the host).  tcpreplay sends bundled captures into
# one end while `calltap -i` captures on the other end (running as nobody via
# -Z, which must leave no capability and set no_new_privs, with recordings
# in an --audio directory calltap creates); SIGHUP in the middle reopens the
# output after a rotation; the calls end 32 s (the linger) after the replay,
# on an idle link, and must then be committed to the database within a
# second; SIGINT ends the run.  The records of both files together must name
# the same calls, with the same dispositions and RTP packet counts, as
# offline runs of the same files.  Needs root, `ip netns` and tcpreplay;
# otherwise skipped (77).
. "$(dirname "$0")/lib.sh"

skip() { echo "live-netns: skipped: $1"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v ip >/dev/null 2>&1 || skip "no ip(8)"
command -v tcpreplay >/dev/null 2>&1 || skip "no tcpreplay"
command -v python3 >/dev/null 2>&1 || skip "no python3"
ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"

caps="MichalCab-sip.pcap goffinet-SIP-Call-Flow-Over-TCP.pcap lundgrel-sip-rtp-g729a.pcap
etakerim-04-cancel-call.pcap superfast1979-example.pcap etakerim-transfer-call.pcap"
na=ctlive-a-$$
nb=ctlive-b-$$
t=$(mktemp -d) || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	ip netns del "$na" 2>/dev/null
	ip netns del "$nb" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ip netns add "$na" && ip netns add "$nb" || skip "cannot create network namespaces"
ip link add vtap0 netns "$na" type veth peer name vtap1 netns "$nb" || skip "cannot create a veth pair"
for ns in "$na" "$nb"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
done
ip -n "$na" link set vtap0 mtu 9000 up && ip -n "$nb" link set vtap1 mtu 9000 up || exit 1

# Here $t/err holds each run's stderr for its verdict, not a failure to show.
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# Offline reference: each file on its own.
for c in $caps; do
	"$CALLTAP" -r "$srcdir/pcaps/$c" --json - 2>/dev/null
done >"$t/offline.jsonl"

# The output directory must let nobody create the file again after rotation.
user=nobody
id "$user" >/dev/null 2>&1 || user=
chmod 755 "$t"
mkdir "$t/out" && chmod 1777 "$t/out"
ip netns exec "$nb" "$CALLTAP" -i vtap1 --json "$t/out/live.jsonl" --stats-interval 1 \
    --db "$t/out/live.db" --audio "$t/out/rec" ${user:+-Z "$user"} 2>"$t/err" &
pid=$!
sleep 1
kill -0 "$pid" 2>/dev/null || { cat "$t/err"; bad "calltap -i started"; exit 1; }
if [ -n "$user" ]; then
	st=$(grep -E "^(CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):" "/proc/$pid/status" | tr -s '\t' ' ' | tr '\n' ' ')
	[ "$st" = "CapPrm: 0000000000000000 CapEff: 0000000000000000 CapBnd: 0000000000000000 CapAmb: 0000000000000000 NoNewPrivs: 1 " ] &&
	    ok "-Z $user: no capabilities left, bounding set empty, no_new_privs" ||
	    bad "-Z $user: $(cat /proc/$pid/comm): $st"
fi

half=0
for c in $caps; do
	ip netns exec "$na" tcpreplay -q -t -i vtap0 "$srcdir/pcaps/$c" >/dev/null 2>&1 ||
	    bad "tcpreplay $c"
	half=$((half + 1))
	if [ $half -eq 3 ]; then
		sleep 0.5
		mv "$t/out/live.jsonl" "$t/out/live.jsonl.1"
		kill -HUP "$pid"
	fi
done
sleep 1.5   # two read timeouts (250 ms) and a stats line
# The calls' records come when their linger (32 s) ends, on an idle link:
# 1.5 s later every one of them must be committed to the database.
sleep 35
n_json=$(cat "$t/out/live.jsonl.1" "$t/out/live.jsonl" 2>/dev/null | wc -l)
sleep 1.5
n_db=$(sqlite3 "$t/out/live.db" 'SELECT count(*) FROM calls' 2>&1)
[ "$n_json" -gt 0 ] && [ "$n_db" -ge "$n_json" ] 2>/dev/null &&
    ok "idle link: the $n_json records written 1.5 s ago are committed to the database" ||
    bad "idle link: $n_json records in JSON 1.5 s ago, database has '$n_db'"
kill -INT "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then
	bad "calltap exits within 5 s of SIGINT"
else
	wait "$pid"
	st=$?
	pid=
	[ "$st" -eq 0 ] && ok "calltap exits 0 on SIGINT" || { bad "calltap exit status $st"; cat "$t/err"; }
fi
[ -f "$t/out/live.jsonl" ] && ok "SIGHUP reopened the rotated output" || bad "no output after SIGHUP"
grep -Eq "^calltap: packets [0-9]* .*calls in progress [0-9]+ started [0-9]+ \([0-9.]+/min\) ended [0-9]+ written [0-9]+ .*drops 0 ifdrops 0 at 20[0-9-]{8}T[0-9:]{8}Z$" "$t/err" && ok "stats line, no drops" ||
    { bad "stats line with no drops"; cat "$t/err"; }
if [ -n "$user" ]; then
	owner=$(stat -c %U "$t/out/live.jsonl" 2>/dev/null)
	[ "$owner" = "$user" ] && ok "-Z $user: output written as $user" || bad "-Z $user: output owned by '$owner'"
fi
nrec=$(ls "$t/out/rec" 2>/dev/null | wc -l)
nans=$(cat "$t/out/live.jsonl.1" "$t/out/live.jsonl" 2>/dev/null | grep -c '"recording":"')
[ "$nrec" -gt 0 ] && [ "$nrec" -eq "$nans" ] && [ "$(stat -c %a "$t/out/rec")" = 700 ] &&
    [ -z "$(find "$t/out/rec" -type f ! -perm 600)" ] &&
    ok "--audio: $nrec recordings (0600) in the directory calltap created (0700)${user:+ as $user}" ||
    bad "--audio: $nrec files, $nans records name a recording"

# Live recordings are synced before a record names them (nothing could replay
# what a power loss took): every recording's file is fdatasync'd, and its
# directory fsync'd.  Seen through strace(1) when it is there.
if command -v strace >/dev/null 2>&1; then
	ip netns exec "$nb" strace -f -y -qq -e trace=fdatasync,fsync -o "$t/strace.log" \
	    "$CALLTAP" -i vtap1 --json "$t/dur.jsonl" --audio "$t/dur" 2>"$t/err2" &
	spid=$!
	sleep 1.5
	ip netns exec "$na" tcpreplay -q -t -i vtap0 "$srcdir/pcaps/MichalCab-sip.pcap" >/dev/null 2>&1
	sleep 1
	kill -INT $(pgrep -P "$spid" calltap 2>/dev/null || pgrep -P "$spid") 2>/dev/null
	wait "$spid"
	nd=$(ls "$t/dur" 2>/dev/null | wc -l)
	nsync=$(grep -c "^[0-9]* *fdatasync([0-9]*<$t/dur/" "$t/strace.log")
	ndir=$(grep -c "^[0-9]* *fsync([0-9]*<$t/dur>" "$t/strace.log")
	[ "$nd" -gt 0 ] && [ "$nsync" -ge "$nd" ] && [ "$ndir" -ge "$nd" ] &&
	    ok "live --audio: each of $nd recordings fdatasync'd ($nsync), its directory fsync'd ($ndir)" ||
	    bad "live --audio: $nd recordings, $nsync fdatasync, $ndir directory fsync"
else
	echo "skip live recordings synced: no strace"
fi

# Same calls, dispositions and RTP packet counts as offline.
cat "$t/out/live.jsonl.1" "$t/out/live.jsonl" 2>/dev/null >"$t/live.jsonl"
python3 - "$t/offline.jsonl" "$t/live.jsonl" <<'EOF' && ok "live records match offline; capture_drops null offline, counted live" || bad "live records match offline"
import json, sys
def load(p):
    out = {}
    for line in open(p):
        r = json.loads(line)
        out[r['call_id']] = (r['disposition'], sum(s.get('packets', 0) for s in r.get('streams') or []))
    return out
off, live = load(sys.argv[1]), load(sys.argv[2])
# capture_drops: unknown (null) for a file, a count for a live capture.
drops = {p: [json.loads(l).get('capture_drops', 'missing') for l in open(p)] for p in sys.argv[1:3]}
if any(x is not None for x in drops[sys.argv[1]]):
    print('  offline capture_drops not null: %s' % drops[sys.argv[1]]); sys.exit(1)
if not all(isinstance(x, int) and x >= 0 for x in drops[sys.argv[2]]):
    print('  live capture_drops not counts: %s' % drops[sys.argv[2]]); sys.exit(1)
for k in sorted(set(off) | set(live)):
    if off.get(k) != live.get(k):
        print('  %s: offline %s, live %s' % (k, off.get(k), live.get(k)))
print('  %d calls offline, %d live' % (len(off), len(live)))
sys.exit(0 if off == live and off else 1)
EOF

echo "live-netns: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
