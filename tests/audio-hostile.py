#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""audio-hostile.py: captures that attack call recording (tests/audio-hostile.sh).

    audio-hostile.py codecs OUT.pcap      one answered call per RTP attack
    audio-hostile.py collide OUT.pcap     two calls whose Call-IDs share
                                          their first 100 characters, in
                                          the same second
    audio-hostile.py many OUT.pcap N      N answered calls of PCMU, 1 s and
                                          2 s in turn, one after the other
    audio-hostile.py concurrent OUT.pcap N  N answered calls of 3 s, all
                                          open at once (started within 0.5 s),
                                          caller audio concurrent_payload(k, i)
    audio-hostile.py amr OUT.pcap         answered calls whose caller sends
                                          AMR (octet-aligned), AMR (bandwidth-
                                          efficient) and AMR-WB (bandwidth-
                                          efficient, 2 frames a packet), 3 s
    audio-hostile.py fsize BYTES CMD...   runs CMD with RLIMIT_FSIZE BYTES
                                          (SIGXFSZ ignored: writes fail EFBIG)
    audio-hostile.py timestamps OUT.pcapng  extreme pcapng timestamps (see
                                          below)
    audio-hostile.py unproven OUT.pcap    a call in progress never proven (a
                                          lone 200 OK with SDP, then 1 s of RTP
                                          from the endpoint it names), closed
                                          by the media timeout, then 3 answered
                                          calls 400 s later
    audio-hostile.py srtp OUT.pcap        answered calls whose SDP says SRTP
                                          (RTP/SAVP with a=crypto, UDP/TLS/
                                          RTP/SAVPF) and carry random payloads
                                          (what encrypted audio looks like),
                                          and a plain RTP/AVP call

Every call of `codecs` is INVITE (SDP offering PCMU 0, G722 9, L16/16000
97, opus/48000 96, telephone-event 101) / 200 OK (same) / ACK, 3 s of RTP
both ways, BYE / 200; the caller's stream does what the call's Call-ID
says: switches payload type mid-call (PCMU to G.722 and back, to a payload
type nobody announced, to L16 at another clock rate, to Opus with garbage),
jumps its RTP timestamp by 2^31 and more, changes SSRC every packet (more
SSRCs than a recording keeps), sends empty and 1-byte payloads.  The callee
always sends clean PCMU.  `timestamps`: a pcapng whose interfaces use
extreme if_tsresol (10^-0 .. 10^-19, 2^-0 .. 2^-63) and if_tsoffset, and
whose packets carry timestamps of 0, near 2^63 and near 2^64 ticks: the
same call's SIP and RTP, so every timing stage sees those values.
References: pcap and pcapng file formats; RFC 3550 §5.1; RFC 3551; RFC 4566.
"""

import struct
import sys

BASE = 1700000000 * 1000000
PBX = bytes([203, 0, 113, 10])
SBC = bytes([198, 51, 100, 10])


from pktlib import csum  # noqa: E402  (tests/pktlib.py)


def udp_frame(src, dst, sport, dport, payload):
    udp = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return b'\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa\x08\x00' + ip + udp


def ip_str(b):
    return '.'.join(str(x) for x in b)


def sdp(ip, port):
    return ('v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n'
            'm=audio %d RTP/AVP 0 9 97 96 101\r\na=rtpmap:0 PCMU/8000\r\n'
            'a=rtpmap:9 G722/8000\r\na=rtpmap:97 L16/16000\r\n'
            'a=rtpmap:96 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n'
            'a=sendrecv\r\n' % (ip_str(ip), ip_str(ip), port)).encode()


def sip(first, call_id, cseq, extra, body=b'', to_tag=True):
    h = ['Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK%08x' % (ip_str(SBC), abs(hash((call_id, cseq))) & 0xFFFFFFFF),
         'From: <sip:+15550001@%s>;tag=caller1' % ip_str(SBC),
         'To: <sip:+15550002@%s>%s' % (ip_str(PBX), ';tag=callee1' if to_tag else ''),
         'Call-ID: ' + call_id, 'CSeq: ' + cseq, 'Max-Forwards: 70'] + extra
    if body:
        h.append('Content-Type: application/sdp')
    return ('\r\n'.join([first] + h) + '\r\nContent-Length: %d\r\n\r\n' % len(body)).encode() + body


def ulaw_tone(n, phase=0):
    # A square-ish wave in µ-law: alternating loud codes, never silence.
    return bytes((0x20 if ((i + phase) // 9) % 2 else 0xA0) for i in range(n))


class Call:
    """One answered call; rtp(i) gives the caller's i-th packet as
    (pt, ssrc, ts, payload) or None (not sent)."""

    def __init__(self, call_id, t0, port, caller_rtp, secs=3.0, sdp_fn=None, step=1):
        self.sdp_fn = sdp_fn or sdp
        self.step = step            # caller sends every step-th 20 ms slot
        self.call_id = call_id
        self.t0 = t0
        self.port = port
        self.caller_rtp = caller_rtp
        self.secs = secs

    def frames(self):
        out = []
        cid, t = self.call_id, self.t0
        a_port, b_port = self.port, self.port + 2
        out.append((t, udp_frame(SBC, PBX, 5060, 5060, sip(
            'INVITE sip:+15550002@%s SIP/2.0' % ip_str(PBX), cid, '1 INVITE',
            ['Contact: <sip:a@%s>' % ip_str(SBC)], self.sdp_fn(SBC, a_port), to_tag=False))))
        out.append((t + 50000, udp_frame(PBX, SBC, 5060, 5060, sip(
            'SIP/2.0 200 OK', cid, '1 INVITE', ['Contact: <sip:b@%s>' % ip_str(PBX)],
            self.sdp_fn(PBX, b_port)))))
        out.append((t + 60000, udp_frame(SBC, PBX, 5060, 5060, sip(
            'ACK sip:b@%s SIP/2.0' % ip_str(PBX), cid, '1 ACK', []))))
        n = int(self.secs * 50)
        for i in range(n):
            ts = t + 100000 + i * 20000
            pkt = self.caller_rtp(i) if i % self.step == 0 else None
            if pkt is not None:
                pt, ssrc, rts, payload = pkt
                rtp = struct.pack('!BBHII', 0x80, pt & 0x7F, i & 0xFFFF, rts & 0xFFFFFFFF,
                                  ssrc & 0xFFFFFFFF) + payload
                out.append((ts, udp_frame(SBC, PBX, a_port, b_port, rtp)))
            rtp = struct.pack('!BBHII', 0x80, 0, i, (1000 + 160 * i) & 0xFFFFFFFF, 0xCA11EE) + \
                ulaw_tone(160, 3)
            out.append((ts + 5000, udp_frame(PBX, SBC, b_port, a_port, rtp)))
        te = t + 100000 + n * 20000 + 50000
        out.append((te, udp_frame(SBC, PBX, 5060, 5060, sip(
            'BYE sip:b@%s SIP/2.0' % ip_str(PBX), cid, '2 BYE', []))))
        out.append((te + 20000, udp_frame(PBX, SBC, 5060, 5060, sip(
            'SIP/2.0 200 OK', cid, '2 BYE', []))))
        return out


def pcmu(i, ssrc=0x1111):
    return (0, ssrc, 160 * i, ulaw_tone(160))


def attack_calls(t0):
    """(Call-ID, caller RTP generator) per attack."""
    def pcmu_g722(i):          # PCMU, G.722 from 1 s, PCMU again from 2 s
        if 50 <= i < 100:
            return (9, 0x1111, 160 * i, bytes((i * 7 + k) & 0xFF for k in range(160)))
        return pcmu(i)

    def g722_pcmu(i):          # G.722 first (16 kHz channel), then PCMU
        if i < 50:
            return (9, 0x2222, 160 * i, bytes((i * 13 + k) & 0xFF for k in range(160)))
        return pcmu(i, 0x2222)

    def unknown_pt(i):         # payload types nobody announced, dynamic and static
        if i % 10 == 5:
            return (120, 0x3333, 160 * i, b'\x01' * 160)
        if i % 10 == 6:
            return (18, 0x3333, 160 * i, b'\x02' * 20)
        if i % 10 == 7:
            return (127, 0x3333, 160 * i, b'\x03' * 7)
        return pcmu(i, 0x3333)

    def rate_change(i):        # L16 at 16 kHz (another clock) between PCMU
        if 30 <= i < 80:
            return (97, 0x4444, 320 * i, b''.join(struct.pack('!h', (k % 40 - 20) * 800)
                                                  for k in range(320)))
        return pcmu(i, 0x4444)

    def opus_garbage(i):       # Opus at 48 kHz with garbage, between PCMU
        if i % 3 == 1:
            return (96, 0x5555, 960 * i, bytes((i * 31 + k * 7) & 0xFF for k in range(1 + i % 60)))
        return pcmu(i, 0x5555)

    def ts_jumps(i):           # RTP timestamp jumps of 2^31 and more, both ways
        jump = [0, 0x80000000, 0x7FFFFFFF, 0xFFFFFFFF, 0x80000001, 12345678][i // 25 % 6]
        return (0, 0x6666, 160 * i + jump, ulaw_tone(160))

    def ssrc_churn(i):         # a new SSRC every packet: more than a recording keeps
        return (0, 0x7000 + i, 0x10000000 * i, ulaw_tone(160))

    def tiny(i):               # empty, 1-byte and huge-count payloads, mixed codecs
        k = i % 6
        if k == 0:
            return (0, 0x8888, 160 * i, b'')
        if k == 1:
            return (9, 0x8888, 160 * i, b'\x55')
        if k == 2:
            return (97, 0x8888, 320 * i, b'\x01')
        if k == 3:
            return (96, 0x8888, 960 * i, b'')
        return pcmu(i, 0x8888)

    def every_switch(i):       # a different payload type on every packet
        pt = [0, 9, 97, 96, 101, 8, 13, 120][i % 8]
        rate = {9: 160, 97: 320, 96: 960}.get(pt, 160)
        return (pt, 0x9999, rate * i, bytes((i + k) & 0xFF for k in range(160)))

    attacks = [('pcmu-g722', pcmu_g722), ('g722-pcmu', g722_pcmu), ('unknown-pt', unknown_pt),
               ('rate-change', rate_change), ('opus-garbage', opus_garbage),
               ('ts-jumps', ts_jumps), ('ssrc-churn', ssrc_churn), ('tiny', tiny),
               ('every-switch', every_switch)]
    return [Call('audio-%s@sbc' % name, t0 + k * 5000000, 20000 + 4 * k, fn)
            for k, (name, fn) in enumerate(attacks)]


def concurrent_payload(k, i):
    """Caller payload (PCMU) of packet i of call k of `concurrent`: loud,
    never silence, different for every call and packet."""
    return bytes(0x80 | ((k * 37 + i * 11 + j) % 0x70) for j in range(160))


def concurrent_calls(n):
    return [Call('conc-%04d@x' % k, BASE + k * 500000 // n, 20000 + 4 * k,
                 lambda i, k=k: (0, 0xC0000 + k, 160 * i, concurrent_payload(k, i)))
            for k in range(n)]


AMR_BITS = {False: [95, 103, 118, 134, 148, 159, 204, 244, 39],
            True: [132, 177, 253, 285, 317, 365, 397, 461, 477, 40]}


def amr_payload(rng, wb, octet, nframes, ft):
    """RFC 4867 payload: CMR 15, nframes ToC entries of frame type ft (Q 1),
    random speech bits; octet-aligned or bandwidth-efficient."""
    bits = []

    def put(v, n):
        bits.extend((v >> (n - 1 - k)) & 1 for k in range(n))
    put(15, 4)
    if octet:
        put(0, 4)
    for i in range(nframes):
        put(1 if i + 1 < nframes else 0, 1)
        put(ft, 4)
        put(1, 1)
        if octet:
            put(0, 2)
    for i in range(nframes):
        put(rng.getrandbits(AMR_BITS[wb][ft]), AMR_BITS[wb][ft])
        if octet:
            bits.extend([0] * (-len(bits) % 8))
    bits.extend([0] * (-len(bits) % 8))
    return bytes(int(''.join(map(str, bits[k:k + 8])), 2) for k in range(0, len(bits), 8))


def srtp_sdp(proto, pts):
    def fn(ip, port):
        return ('v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n'
                'm=audio %d %s %s\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:111 opus/48000/2\r\n'
                'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n'
                'a=sendrecv\r\n' % (ip_str(ip), ip_str(ip), port, proto, pts)).encode()
    return fn


def srtp_calls(t0):
    import random
    rng = random.Random(3711)

    def noise(pt, ssrc, step):
        return lambda i: (pt, ssrc, step * i, bytes(rng.randrange(256) for _ in range(160)))
    return [
        Call('srtp-sdes@sbc', t0, 24000, noise(0, 0xB1, 160), sdp_fn=srtp_sdp('RTP/SAVP', '0')),
        Call('srtp-dtls@sbc', t0 + 5000000, 24004, noise(111, 0xB2, 960),
             sdp_fn=srtp_sdp('UDP/TLS/RTP/SAVPF', '111 0')),
        Call('plain@sbc', t0 + 10000000, 24008, pcmu, sdp_fn=srtp_sdp('RTP/AVP', '0')),
    ]


def amr_sdp(ip, port):
    return ('v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n'
            'm=audio %d RTP/AVP 96 97 98 0\r\na=rtpmap:96 AMR/8000\r\n'
            'a=fmtp:96 octet-align=1\r\na=rtpmap:97 AMR/8000\r\n'
            'a=rtpmap:98 AMR-WB/16000\r\na=fmtp:98 mode-set=0,1,2,8\r\n'
            'a=rtpmap:0 PCMU/8000\r\n'
            'a=sendrecv\r\n' % (ip_str(ip), ip_str(ip), port)).encode()


def amr_calls(t0):
    import random
    rng = random.Random(4867)
    return [
        Call('amr-oa@sbc', t0, 23000, lambda i: (96, 0xA1, 160 * i, amr_payload(rng, False, True, 1, 7)),
             sdp_fn=amr_sdp),
        Call('amr-be@sbc', t0 + 5000000, 23004,
             lambda i: (97, 0xA2, 160 * i, amr_payload(rng, False, False, 1, 7)), sdp_fn=amr_sdp),
        Call('amr-wb-be@sbc', t0 + 10000000, 23008,
             lambda i: (98, 0xA3, 320 * i, amr_payload(rng, True, False, 2, 8)),
             sdp_fn=amr_sdp, step=2),
    ]


def unproven_calls(t0):
    """A lone 200 OK with SDP (a call in progress: one message is no proof,
    it is dropped unrecorded when it closes) and 1 s of RTP from the
    endpoint its SDP names, answered in appearance: its audio is started.
    The media timeout (300 s) closes it; then three plain answered calls."""
    cid = 'unproven-0@x'
    out = [(t0, udp_frame(PBX, SBC, 5060, 5060, sip(
        'SIP/2.0 200 OK', cid, '1 INVITE', ['Contact: <sip:b@%s>' % ip_str(PBX)],
        sdp(PBX, 23002))))]
    for i in range(50):
        rtp = struct.pack('!BBHII', 0x80, 0, i, 160 * i, 0x5EED) + ulaw_tone(160)
        out.append((t0 + 100000 + i * 20000, udp_frame(PBX, SBC, 23002, 23000, rtp)))

    class Pre:
        def frames(self):
            return out
    return [Pre()] + [Call('after-%d@x' % k, t0 + 400 * 1000000 + k * 5000000, 23100 + 4 * k,
                           pcmu, secs=1.0) for k in range(3)]


def write_pcap(path, calls):
    frames = []
    for c in calls:
        frames += c.frames()
    frames.sort(key=lambda x: x[0])
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for ts, fr in frames:
            f.write(struct.pack('<IIII', ts // 1000000, ts % 1000000, len(fr), len(fr)) + fr)


def pcapng_block(btype, body):
    body += b'\0' * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack('<II', btype, n) + body + struct.pack('<I', n)


def pcapng_idb(tsresol=None, tsoffset=None):
    opts = b''
    if tsresol is not None:
        opts += struct.pack('<HHB', 9, 1, tsresol) + b'\0\0\0'
    if tsoffset is not None:
        opts += struct.pack('<HHq', 14, 8, tsoffset)
    if opts:
        opts += struct.pack('<HH', 0, 0)
    return pcapng_block(1, struct.pack('<HHI', 1, 0, 65535) + opts)


def pcapng_epb(ifc, ticks, frame):
    ticks &= 0xFFFFFFFFFFFFFFFF
    return pcapng_block(6, struct.pack('<IIIII', ifc, ticks >> 32, ticks & 0xFFFFFFFF,
                                       len(frame), len(frame)) + frame)


def timestamps(path):
    """One interface per extreme resolution/offset; on each, a whole call
    (SIP and RTP, some of it IP-fragmented) at extreme tick values."""
    resols = [None, 0, 1, 6, 9, 18, 19, 0x80, 0x80 | 1, 0x80 | 20, 0x80 | 62, 0x80 | 63]
    offsets = [None, 0x7FFFFFFFFFFFFFFF, -0x8000000000000000, -1, 1700000000]
    ifaces = []
    for r in resols:
        for o in offsets:
            ifaces.append((r, o))
    tick_sets = [
        lambda k: k,                                  # near 0
        lambda k: 0x7FFFFFFFFFFFFFFF - 400 + k,       # near INT64_MAX
        lambda k: 0x8000000000000000 + k,             # INT64_MIN as signed
        lambda k: 0xFFFFFFFFFFFFFFFF - 400 + k,       # near UINT64_MAX (-1)
        lambda k: 1700000000 * 10 ** 6 + k * 20000,   # plausible microseconds
        lambda k: 0x7FFFFFFFFFFFFFFF - 200 * k,       # going backwards from the top
    ]
    out = [pcapng_block(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1))]
    for r, o in ifaces:
        out.append(pcapng_idb(r, o))
    n = 0
    for ifc in range(len(ifaces)):
        for ts_fn in tick_sets:
            cid = 'ts-%d-%d@x' % (ifc, n)
            n += 1
            c = Call(cid, 0, 30000 + 4 * (n % 1000), lambda i: pcmu(i, 0x1234), secs=0.2)
            for k, (_, fr) in enumerate(c.frames()):
                out.append(pcapng_epb(ifc, ts_fn(k), fr))
            # an IPv4 first fragment that is never completed
            out.append(pcapng_epb(ifc, ts_fn(40), frag_frame(n)))
    with open(path, 'wb') as f:
        f.write(b''.join(out))


def frag_frame(ident):
    payload = struct.pack('!HHHH', 5060, 5060, 8 + 3000, 0) + b'F' * 1000
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x2000,
                     64, 17, 0, SBC, PBX)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return b'\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa\x08\x00' + ip + payload


def main(argv):
    if len(argv) == 3 and argv[1] == 'codecs':
        write_pcap(argv[2], attack_calls(BASE))
    elif len(argv) == 3 and argv[1] == 'collide':
        prefix = 'c' * 100
        # Same start second, same first 100 characters; then a third whose
        # sanitised name equals the second's (characters outside [A-Za-z0-9._-]).
        calls = [Call(prefix + 'one@x', BASE + 100000, 21000, pcmu),
                 Call(prefix + 'two@x', BASE + 300000, 21100, pcmu),
                 Call(prefix + 'two#x', BASE + 500000, 21200, pcmu)]
        write_pcap(argv[2], calls)
    elif len(argv) == 4 and argv[1] == 'many':
        write_pcap(argv[2], [Call('many-%04d@x' % k, BASE + k * 2500000, 22000 + 4 * (k % 1000),
                                  pcmu, secs=1.0 + k % 2) for k in range(int(argv[3]))])
    elif len(argv) == 3 and argv[1] == 'amr':
        write_pcap(argv[2], amr_calls(BASE))
    elif len(argv) == 3 and argv[1] == 'unproven':
        write_pcap(argv[2], unproven_calls(BASE))
    elif len(argv) == 3 and argv[1] == 'srtp':
        write_pcap(argv[2], srtp_calls(BASE))
    elif len(argv) == 4 and argv[1] == 'concurrent':
        write_pcap(argv[2], concurrent_calls(int(argv[3])))
    elif len(argv) >= 4 and argv[1] == 'fsize':
        import os
        import resource
        import signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(argv[2]), int(argv[2])))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        os.execvp(argv[3], argv[3:])
    elif len(argv) == 3 and argv[1] == 'timestamps':
        timestamps(argv[2])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
