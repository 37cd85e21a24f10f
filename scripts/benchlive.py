# SPDX-License-Identifier: GPL-3.0-or-later
"""Live capture at rate, for scripts/bench --live (issue 16).

Two network namespaces made for the run (ctbench-a-PID, ctbench-b-PID)
joined by a veth pair, no addresses, IPv6 off: nothing leaves the machine
(bench-sender also refuses any interface that is not a veth).  In b,
`calltap -i` captures (--json /dev/null --stats, --buffer-mb N, with or
without --audio DIR); in a, scripts/bench-sender.c (AF_PACKET socket,
PACKET_QDISC_BYPASS, sendmmsg batches, built here with cc) replays the
first packets of a generated trunk capture at a fixed packet rate or at its
top speed.  A trial is lossless when calltap's --stats say no kernel drop
(capture_drops, pcap_stats ps_drop), no interface drop (capture_ifdrops),
nothing lost inside calltap (output_events_lost, recording_errors) and every
packet sent was read (frames; a packet lost on the veth would be missing
there).

Per case: one trial at the sender's top speed; when it loses packets, a
bisection over packet rates between 0 and that top speed (--live-steps
trials, or until the bracket is within 2 % of the top speed) finds the
highest rate that lost nothing.  A trial sends rate x --live-seconds packets
(at most the whole capture), so the kernel ring (--buffer-mb) can hide a
deficit of at most its size over the trial: at 64 MiB about 230,000 frames
of the trunk mix, a quarter of a second at 900k packets/s.

Also printed: calltap's CPU time (all threads, /proc/PID/stat) per packet in
the top-speed trial, and the packet rate one core would take at that cost:
when the sender, not calltap, is the limit, that is calltap's headroom.

The namespaces are deleted on exit, on SIGINT/SIGTERM/SIGHUP and on any
failure; namespaces of this naming left by a bench that was killed (its PID
gone) are deleted at start.  Needs root, ip(8) with netns, cc and libpcap.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = 'ctbench-'


def unavailable():
    """Why live runs cannot happen here, or None."""
    if os.geteuid() != 0:
        return 'needs root (network namespaces, AF_PACKET)'
    if shutil.which('ip') is None:
        return 'no ip(8)'
    if subprocess.call(['ip', 'netns', 'list'], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL) != 0:
        return 'ip netns unavailable'
    if shutil.which(os.environ.get('CC', 'cc')) is None:
        return 'no C compiler for bench-sender'
    return None


class Unavailable(Exception):
    """The namespaces or the veth pair cannot be made here."""


def _ip(*argv, check=True):
    p = subprocess.run(['ip'] + list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if check and p.returncode != 0:
        raise Unavailable('ip %s: %s' % (' '.join(argv), p.stderr.strip()))
    return p


def _stale_cleanup():
    """Deletes ctbench-{a,b}-PID namespaces whose bench is gone."""
    out = subprocess.run(['ip', 'netns', 'list'], stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    for line in out.splitlines():
        m = re.match(r'(%s[ab]-(\d+))\b' % PREFIX, line)
        if m and not os.path.exists('/proc/%s' % m.group(2)):
            _ip('netns', 'del', m.group(1), check=False)


class Pair:
    """The two namespaces and the veth pair; a context manager that always
    deletes them (and the calltap it started, by its PID)."""

    def __init__(self):
        pid = os.getpid()
        self.na = '%sa-%d' % (PREFIX, pid)
        self.nb = '%sb-%d' % (PREFIX, pid)
        self.tx = 'ctb0'
        self.rx = 'ctb1'
        self.made = []
        self.proc = None
        self.old = {}

    def __enter__(self):
        for s in (signal.SIGTERM, signal.SIGHUP):
            self.old[s] = signal.signal(s, self._on_signal)
        try:
            _stale_cleanup()
            for ns in (self.na, self.nb):
                _ip('netns', 'add', ns)
                self.made.append(ns)
            _ip('link', 'add', self.tx, 'netns', self.na, 'type', 'veth', 'peer', 'name',
                self.rx, 'netns', self.nb)
            for ns, dev in ((self.na, self.tx), (self.nb, self.rx)):
                for k in ('all', 'default'):
                    subprocess.call(['ip', 'netns', 'exec', ns, 'sysctl', '-qw',
                                     'net.ipv6.conf.%s.disable_ipv6=1' % k],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                _ip('-n', ns, 'link', 'set', dev, 'mtu', '9000', 'up')
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _on_signal(self, signum, frame):
        raise SystemExit(128 + signum)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def __exit__(self, *exc):
        self.kill()
        for ns in reversed(self.made):
            _ip('netns', 'del', ns, check=False)
        self.made = []
        for s, h in self.old.items():
            signal.signal(s, h)
        self.old = {}
        return False


def build_sender(workdir):
    exe = os.path.join(workdir, 'bench-sender')
    cc = os.environ.get('CC', 'cc')
    subprocess.run([cc, '-O2', os.path.join(HERE, 'bench-sender.c'), '-o', exe, '-lpcap'],
                   check=True)
    return exe


def _stat(stderr, name):
    for line in stderr.split('\n'):
        f = line.split()
        if len(f) == 2 and f[0] == name:
            return int(f[1])
    return 0


def _cpu_seconds(pid, tid=None):
    """utime + stime of a process, all threads (seconds); of thread tid only
    when given (the capture thread is the main one: tid = pid)."""
    path = '/proc/%d/stat' % pid if tid is None else '/proc/%d/task/%d/stat' % (pid, tid)
    try:
        with open(path) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except (OSError, IndexError, ValueError):
        return None


def _wait_socket(pair, proc, timeout=10.0):
    """Waits until calltap has a packet socket open in its namespace."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            return False
        out = subprocess.run(['ip', 'netns', 'exec', pair.nb, 'cat', '/proc/net/packet'],
                             stdout=subprocess.PIPE, universal_newlines=True).stdout
        if len(out.strip().split('\n')) > 1:
            time.sleep(0.3)   # the ring is set up after the socket appears
            return True
        time.sleep(0.05)
    return False


def trial(pair, calltap, sender, cap, count, pps, audio_dir, buffer_mb, drain):
    """One trial: calltap -i on the b end, count packets sent at pps (0: top
    speed) into the a end.  Returns a dict: sent, secs, rate, frames, drops,
    ifdrops, cpu (calltap's CPU seconds until the drain ended), lossless,
    recordings, error."""
    cmd = [calltap, '-i', pair.rx, '--json', '/dev/null', '--stats',
           '--buffer-mb', str(buffer_mb)]
    if audio_dir:
        shutil.rmtree(audio_dir, ignore_errors=True)
        cmd += ['--audio', audio_dir]
    errf = tempfile.TemporaryFile()
    r = {'sent': 0, 'secs': 0.0, 'rate': 0.0, 'frames': 0, 'drops': 0, 'ifdrops': 0,
         'cpu': None, 'lossless': False, 'recordings': 0, 'error': None}
    pair.proc = subprocess.Popen(['ip', 'netns', 'exec', pair.nb] + cmd,
                                 stdout=subprocess.DEVNULL, stderr=errf)
    try:
        if not _wait_socket(pair, pair.proc):
            r['error'] = 'calltap -i did not start'
            return r
        s = subprocess.run(['ip', 'netns', 'exec', pair.na, sender, pair.tx, cap, str(count),
                            str(int(pps))], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        if s.returncode != 0:
            r['error'] = 'bench-sender: ' + s.stderr.strip()
            return r
        f = s.stdout.split()
        r['sent'], r['secs'] = int(f[1]), float(f[5])
        r['rate'] = r['sent'] / r['secs'] if r['secs'] > 0 else 0.0
        time.sleep(drain)     # what is in the ring is read (block timeout 250 ms)
        r['cpu'] = _cpu_seconds(pair.proc.pid)
        r['cpu_main'] = _cpu_seconds(pair.proc.pid, pair.proc.pid)
        pair.proc.send_signal(signal.SIGINT)
        try:
            pair.proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            r['error'] = 'calltap did not end within 300 s of SIGINT'
            return r
        errf.seek(0)
        err = errf.read().decode(errors='replace')
        if pair.proc.returncode != 0:
            r['error'] = 'calltap exit %d: %s' % (pair.proc.returncode, err.strip()[-300:])
            return r
        r['frames'] = _stat(err, 'frames')
        r['drops'] = _stat(err, 'capture_drops')
        r['ifdrops'] = _stat(err, 'capture_ifdrops')
        r['recordings'] = _stat(err, 'recordings')
        # the capture thread waited for the recorder (its ring was full)
        r['qwaits'] = _stat(err, 'recording_queue_waits')
        # calltap's own losses: events its output queue could not hold,
        # recordings that failed
        r['own'] = _stat(err, 'output_events_lost') + _stat(err, 'recording_errors')
        r['lossless'] = (r['drops'] == 0 and r['ifdrops'] == 0 and r['own'] == 0 and
                         r['frames'] >= r['sent'])
        return r
    finally:
        pair.kill()
        errf.close()
        if audio_dir:
            shutil.rmtree(audio_dir, ignore_errors=True)


def _fmt(x):
    return '{:,.0f}'.format(x)


def _describe(r):
    if r['error']:
        return 'ERROR ' + r['error']
    lost = []
    if r['drops']:
        lost.append('%s kernel drops' % _fmt(r['drops']))
    if r['ifdrops']:
        lost.append('%s interface drops' % _fmt(r['ifdrops']))
    if r['frames'] < r['sent']:
        lost.append('%s of %s read' % (_fmt(r['frames']), _fmt(r['sent'])))
    if r.get('own'):
        lost.append('%s lost inside calltap (output_events_lost, recording_errors)' %
                    _fmt(r['own']))
    waits = ' (the recorder\'s queue was full %s times)' % _fmt(r['qwaits']) \
        if r.get('qwaits') else ''
    return ('lossless' if not lost else ', '.join(lost)) + waits


def find_lossless(pair, calltap, sender, cap, packets, audio_dir, buffer_mb, opts, log):
    """Top-speed trial, then a bisection if it lost packets.  Returns a dict:
    top (packets/s of the top-speed trial), best (highest lossless rate
    measured, 0 if none), capped (the top speed was lossless: the sender is
    the limit), cpu_per_packet (calltap, top-speed trial), trials, error."""
    drain = opts.drain + (1.0 if audio_dir else 0.0)
    count = packets if opts.quick else min(packets, int(opts.top_packets))
    t = trial(pair, calltap, sender, cap, count, 0, audio_dir, buffer_mb, drain)
    log('  top speed: %s packets in %.2f s = %s/s: %s' % (
        _fmt(t['sent']), t['secs'], _fmt(t['rate']), _describe(t)))
    res = {'top': t['rate'], 'best': 0.0, 'capped': False, 'trials': 1, 'error': t['error'],
           'cpu_per_packet': (t['cpu'] / t['frames']) if t['cpu'] and t['frames'] else None,
           'main_per_packet': (t['cpu_main'] / t['frames'])
           if t.get('cpu_main') and t['frames'] else None,
           'recordings': t['recordings']}
    if t['error']:
        return res
    if t['lossless']:
        res['best'] = t['rate']
        res['capped'] = True
        return res
    lo, hi = 0.0, t['rate']
    for _ in range(opts.steps):
        if hi - lo <= 0.02 * t['rate']:
            break
        mid = (lo + hi) / 2
        n = max(1000, min(packets, int(mid * opts.seconds)))
        r = trial(pair, calltap, sender, cap, n, mid, audio_dir, buffer_mb, drain)
        res['trials'] += 1
        log('  %s/s asked, %s sent in %.2f s = %s/s: %s' % (
            _fmt(mid), _fmt(r['sent']), r['secs'], _fmt(r['rate']), _describe(r)))
        if r['error']:
            res['error'] = r['error']
            return res
        # A loaded machine may keep the sender below the asked rate: what
        # was reached counts.
        if r['lossless']:
            lo = min(mid, r['rate'])
            res['best'] = max(res['best'], min(r['rate'], mid * 1.001))
        else:
            hi = mid
    return res


def run(calltap, workdir, cap, packets, opts, out=sys.stdout):
    """The live benchmark on cap (packets in it); prints its table to out.
    opts: seconds, steps, drain, top_packets, quick, audio (bool), buffers
    (list of MiB).  Returns the list of (case, result) or None when skipped."""
    why = unavailable()
    if why:
        print('live at rate: skipped: %s' % why, file=out)
        return None
    sender = build_sender(workdir)

    def log(msg):
        print(msg, file=sys.stderr)
        sys.stderr.flush()
    results = []
    load0 = os.getloadavg()
    pair = Pair()
    try:
        pair.__enter__()     # cleans up after itself when it fails
    except Unavailable as e:
        print('live at rate: skipped: %s' % e, file=out)
        return None
    try:
        adir = os.path.join(workdir, 'bench-live-audio-%d' % os.getpid())
        for mb in opts.buffers:
            for audio in ([False, True] if opts.audio else [False]):
                name = 'calltap -i%s --buffer-mb %d' % (' --audio DIR' if audio else '', mb)
                log('live: %s' % name)
                r = find_lossless(pair, calltap, sender, cap, packets, adir if audio else None,
                                  mb, opts, log)
                r['load'] = os.getloadavg()[0]
                results.append((name, r))
    finally:
        pair.__exit__(None, None, None)
    load1 = os.getloadavg()
    print('live capture at rate: veth pair between two network namespaces; bench-sender '
          '(AF_PACKET, PACKET_QDISC_BYPASS, sendmmsg) replays the capture, calltap -i '
          '--json /dev/null captures', file=out)
    print('trials of up to %s packets (%g s at the asked rate), lossless = no kernel or '
          'interface drop and every packet read; load average %.2f before, %.2f after' % (
              _fmt(min(packets, opts.top_packets)), opts.seconds, load0[0], load1[0]), file=out)
    print('%-38s %14s %14s %7s %10s %12s %9s %6s %5s' % (
        'case', 'lossless pkt/s', 'sender top/s', 'of top', 'CPU/packet', '1 core pkt/s',
        'capture', 'trials', 'load'), file=out)
    for name, r in results:
        if r['error']:
            print('%-38s ERROR %s' % (name, r['error']), file=out)
            continue
        cpp = r['cpu_per_packet']
        mpp = r['main_per_packet']
        print('%-38s %14s %14s %6.0f%% %10s %12s %9s %6d %5.2f' % (
            name, ('>= ' if r['capped'] else '') + _fmt(r['best']), _fmt(r['top']),
            100.0 * r['best'] / r['top'] if r['top'] else 0,
            '%.0f ns' % (cpp * 1e9) if cpp else '-', _fmt(1 / cpp) if cpp else '-',
            '%.0f ns' % (mpp * 1e9) if mpp else '-', r['trials'], r['load']), file=out)
    for name, r in results:
        if not r['error']:
            print('live: %s: lossless up to %s packets/s (%.0f%% of the sender\'s top speed '
                  '%s/s%s)' % (name, _fmt(r['best']),
                               100.0 * r['best'] / r['top'] if r['top'] else 0, _fmt(r['top']),
                               ', the sender is the limit' if r['capped'] else ''), file=out)
    print('(">=": lossless at the sender\'s top speed, the sender is the limit; "CPU/packet": '
          'calltap\'s CPU time, all threads, per packet in the top-speed trial; "1 core pkt/s": '
          'the rate one core would take at that cost; "capture": the capture thread\'s own '
          'CPU time per packet; "load": 1-minute load average after the case)', file=out)
    return results
