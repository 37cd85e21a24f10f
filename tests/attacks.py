#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""attacks.py: attack traffic mixed into a legitimate trunk capture, for
tests/hostile.sh and scripts/bench --hostile.

    attacks.py list
    attacks.py mix ATTACK LEGIT.pcap TRUTH.jsonl [--scale N] [--seed S]
                   [-o OUT] [--info FILE] [--control]
    attacks.py collide K            2^K Call-IDs of one FNV-1a 32-bit hash
    attacks.py wavpeak WAV          largest absolute sample of a 16-bit WAV

mix reads LEGIT.pcap (classic pcap, microseconds, Ethernet, as written by
scripts/gen-calls) and its truth, makes the attack traffic over the legit
capture's time span and writes the two merged in timestamp order (legit
packets first on equal times) to OUT (default stdout): a classic pcap, or
pcapng for pcapng-ts.  The legit frames are copied unchanged, so the truth
of every legitimate call still holds.  --scale sets the attack's size (its
unit is given by `list`; the default is the make check size, the bench
size is the third column of ATTACKS).  --info FILE gets one JSON object: packets (total),
legit_packets, attack_packets, and per attack facts (e.g. the call_id whose
RTP port received the loud stream).

Attacker addresses are in 100.64.0.0/10 (never used by gen-calls); the PBX
is 203.0.113.10 as in gen-calls.  References: RFC 3261, RFC 4566, RFC 3550,
RFC 3551 (payload types 0 and 9), RFC 791 (fragments), RFC 793, the pcap
and pcapng file formats.  FNV-1a: Fowler/Noll/Vo, 32-bit variant;
MurmurHash3 (Austin Appleby) block step, as in src/util/addr.c.

The collision attacks target the hashes of this tree as it was when they
were written (src/sip/dialog.c str_hash, src/attr/history.c hash_key,
src/rtp/media.c ep_hash): with a keyed hash (per-run random key) they are
plain floods of distinct keys, which is the point of the regression test.
"""

import argparse
import heapq
import json
import random
import re
import struct
import sys

US = 1000000
PBX = bytes([203, 0, 113, 10])
PBX_S = '203.0.113.10'

# name: (unit, make check scale, bench scale, description)
ATTACKS = {
    'scan': ('messages', 20000, 500000,
             'sipvicious-style OPTIONS/REGISTER/INVITE sweeps from many sources'),
    'invite-flood': ('INVITEs', 205000, 400000,
                     'INVITEs with unique Call-IDs, thousands per second, never answered'),
    'spoofed-pairs': ('INVITE+200 pairs', 205000, 300000,
                      'spoofed INVITE + 200 OK pairs, never ended, no media'),
    'long-fields': ('calls', 1500, 5000,
                    'answered calls with a 30 KB Call-ID and a 30 KB display name'),
    'collide': ('log2 of Call-IDs', 14, 17,
                'INVITEs whose Call-IDs share one FNV-1a 32-bit hash'),
    'collide-caller': ('log2 of callers', 14, 15,
                       'calls whose caller numbers share one FNV-1a hash (caller history)'),
    'collide-media': ('calls', 10000, 32000,
                      'calls whose SDP endpoints share one media-table hash, then RTP to them'),
    'update-storm': ('UPDATEs', 50000, 300000,
                     'UPDATEs on one call, each announcing new ports'),
    'many-headers': ('packets', 6, 200,
                     'UDP SIP requests of 12,000 headers each (fragmented)'),
    'tcp-10byte': ('connections', 6, 60,
                   'SIP over TCP in 10-byte segments, 66 KB of short header lines'),
    'tcp-ooo': ('streams', 6, 80,
                'out-of-order TCP in 1-byte segments (12,000 per stream)'),
    'rtp-flood': ('packets', 100000, 1000000,
                  'RTP at random PBX ports from foreign sources, plus one loud '
                  'stream to a real call\'s port'),
    'pt-switch': ('calls', 3, 200,
                  'answered calls whose RTP switches from PCMU to G.722 mid-call'),
    'pcapng-ts': ('packets', 40, 4000,
                  'pcapng with extreme timestamps (RTP and IP fragments)'),
    'sdp-hijack': ('calls', 40, 40,
                   're-INVITE/UPDATE/ACK/200 with SDP from a stranger who knows the Call-ID, '
                   'then its RTP and RTCP to the call\'s ports'),
    'forged-bye': ('calls', 80, 80,
                   'BYE (answered calls) or CANCEL (ringing ones) from a stranger who knows '
                   'the Call-ID'),
    'bye-wrong-tag': ('calls', 80, 80,
                      'BYE from the caller\'s own address with the Call-ID but tags that '
                      'are not the dialog\'s, refused by the PBX with 481'),
    'forged-resp': ('calls', 80, 80,
                    'responses from a stranger who knows the Call-ID and tags: a 200 to a '
                    'BYE never sent, a 486 or a 200 to a ringing call\'s INVITE, a 200 to a '
                    'CANCEL never sent'),
    'reuse-callid': ('calls', 80, 80,
                     'an initial INVITE from a stranger in a legit call\'s Call-ID: just '
                     'after the call ends, and between a 401/407 and the retried INVITE'),
    'answered-stranger': ('calls', 80, 80,
                          'a stranger\'s BYE (CSeq too low) or INVITE copy (another branch) '
                          'in a legit call, refused by the callee side with 500 or 482 sent '
                          'to the stranger'),
    'bye-stale-cseq': ('calls', 80, 80,
                       'BYE from the caller\'s own address with the dialog\'s tags and a CSeq '
                       'not above the INVITE\'s, refused by the PBX with 500'),
    'media-claim': ('calls', 80, 80,
                    'the attacker\'s own calls, answered, whose SDP offers name a legit '
                    'caller\'s media address and port, just before the PBX\'s RTP to it'),
    'bye-long-clen': ('calls', 80, 80,
                      'BYE from the caller\'s own address, of the dialog, whose datagram '
                      'ends before its Content-Length, refused by the PBX with 400'),
    'tcp-next-byte': ('calls', 20, 40,
                      'a copy of a legit SIP/TCP BYE segment sent early at its own sequence '
                      'number, without the ACK flag or acknowledging bytes never sent'),
    'offer-refused': ('calls', 40, 80,
                      'in-dialog re-INVITE or UPDATE from the caller\'s own address with the '
                      'dialog\'s tags, offering the attacker\'s media, refused by the PBX '
                      '(420, 488, 500); then RTP from that media'),
    'no-branch': ('calls', 40, 80,
                  'responses (486, 302, 200 and 183 with SDP) and CANCELs of a ringing legit '
                  'INVITE\'s transaction without a Via branch'),
    'bye-malformed': ('calls', 80, 80,
                      'BYE from the caller\'s own address, of the dialog, without Via, with '
                      'a CSeq naming INVITE, or with a NUL in P-Asserted-Identity: dropped '
                      'or refused (400) by the PBX'),
    'cancel-wrong': ('calls', 80, 80,
                     'CANCEL from the caller\'s own address with the Call-ID and the '
                     'INVITE\'s CSeq, not of its transaction (another branch or From tag), '
                     'refused by the PBX with 481'),
    'ack-spoof': ('calls', 80, 80,
                  'ACK from the caller\'s own address while the call rings, with the '
                  'Call-ID, From tag and INVITE\'s CSeq but a Via branch of its own, '
                  'no response'),
    'resp-unseen': ('calls', 80, 80,
                    'a 200 to a BYE or CANCEL nobody sent, from the call\'s own parties\' '
                    'addresses with the dialog\'s tags'),
    'inv-resp-spoof': ('calls', 80, 80,
                       'a 486, 200 or 603 to a ringing call\'s INVITE from the callee\'s '
                       'own address with the INVITE\'s CSeq but a Via branch of its own'),
    'reinvite-refused': ('calls', 40, 40,
                         're-INVITE/UPDATE from the caller\'s own address with a To tag not '
                         'of the dialog, offering the attacker\'s media, refused by the PBX '
                         'with 481; then the attacker\'s RTP to the call\'s ports'),
    'answer-unasked': ('calls', 40, 40,
                       'a 200 with SDP to a re-INVITE or UPDATE nobody sent, from the '
                       'callee\'s own address with the dialog\'s tags; then the attacker\'s '
                       'RTP to the call\'s ports'),
    'indialog-flood': ('requests', 50000, 300000,
                       'BYE/re-INVITE/ACK/UPDATE/INFO/CANCEL/PRACK with unique Call-IDs and '
                       'tags: in-dialog requests of no call'),
    'resp-flood': ('responses', 50000, 300000,
                   '180/183/200 (with SDP) to INVITEs never sent, unique Call-IDs'),
    'ood-flood': ('requests', 50000, 300000,
                  'requests outside any dialog (no To tag: INFO, REFER, BYE, UPDATE, '
                  'SUBSCRIBE, NOTIFY, MESSAGE, PUBLISH) with unique Call-IDs, each '
                  'answered 200 by the PBX'),
    'sdp-flood': ('INVITE+200 pairs', 8000, 250000,
                  'spoofed INVITE + 200 OK pairs whose SDP offers and answers audio and '
                  'video, 23 codecs and 30 ICE candidates each: many endpoints and codecs '
                  'per call, never ACKed'),
    'fork-flood': ('calls', 8000, 250000,
                   'the same with each INVITE copied to a second PBX address (a forked '
                   'call) and a 100-byte longer Call-ID'),
    'many-m': ('calls', 500, 2000,
               'answered calls offering 400 m= lines each, then RTP to 50 of those ports'),
    'tcp-conn-flood': ('connections', 20000, 100000,
                       'SIP/TCP connections each left with half a header, or a header '
                       'claiming a 100 MB body'),
    'frag-flood': ('fragments', 20000, 400000,
                   'IPv4 and IPv6 fragments to the PBX\'s SIP port that never complete '
                   '(first, middle, last, past 65,535 bytes), unique IP IDs'),
    'tcp-spoof': ('segments', 2000, 20000,
                  'blind spoofed TCP segments on the legit SIP/TCP connections\' own '
                  '4-tuples: RST, FIN, SYN and whole SIP messages at guessed sequence '
                  'numbers'),
    'ssrc-churn': ('packets', 50000, 300000,
                   'RTP on an answered attacker call\'s own media 4-tuple, a new SSRC in '
                   'every packet'),
    'tcp-resplit': ('segments', 100000, 100000,
                    'every legit SIP/TCP data segment seen first as shuffled, overlapping, '
                    'duplicated 1-40 byte pieces of its bytes from the second on'),
    'frag-dup': ('datagrams', 1000, 1000,
                 'a changed copy of a legit fragmented INVITE\'s first fragment to arrive, '
                 'just after it (the same IP ID, wholly within its bytes)'),
    'frag-tail': ('datagrams', 1000, 1000,
                  'a forged last fragment completing a legit fragmented INVITE early with '
                  'the attacker\'s caller number and SDP, then its RTP'),
    'party-spoof': ('calls', 40, 80,
                    'RTP spoofed from a legit far party\'s own media address:port to a PBX '
                    'port no SDP announced and to a host that is not the PBX'),
    'ssrc-spoof': ('calls', 40, 80,
                   'RTP with a legit far party\'s own SSRC from another port of its media '
                   'address to the call\'s PBX port, during the talk'),
    'span-dup': ('calls', 40, 80,
                 'every SIP and RTP frame of legit calls seen again 30 us later in '
                 'another VLAN (and one hop further): a SPAN mirroring two VLANs'),
    'rtp-lone': ('calls', 40, 80,
                 'one RTP packet in the talk of a legit call, from its far party\'s own '
                 'media address:port and SSRC, with the sequence number 2,000 or 30,000 '
                 'ahead or the next one and a timestamp 2^30 ahead'),
    'rtp-trail': ('calls', 40, 80,
                  'one RTP packet 4.9 s after the last of a legit call\'s far party, from its '
                  'own media address:port and SSRC, 245 sequence numbers on'),
    'rtp-pair': ('calls', 40, 80,
                 'two RTP packets in a row in the talk of a legit call, from its far '
                 'party\'s own media address:port and SSRC, sequence numbers 2,000 ahead or '
                 'the next two with timestamps 2^30 ahead'),
    'ts-outlier': ('pairs', 400, 400,
                   'two frames stored 1-6 h ahead of (or behind) the frames around them'),
    'tunnel-spoof': ('calls', 40, 80,
                     'VXLAN, GTP-U, GRE and IP-in-IP packets from strangers to the PBX '
                     'carrying a legit call\'s BYE from its caller\'s address and RTP from '
                     'its own media source'),
}


# ---------------------------------------------------------------- frames

from pktlib import csum  # noqa: E402  (tests/pktlib.py)


def ipv4(src, dst, proto, payload, ident=0, flags_off=0):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident & 0xFFFF,
                    flags_off, 64, proto, 0, src, dst)
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload


def ether(ip, ethertype=0x0800):
    """An Ethernet II frame around ip (IPv4 unless ethertype says)."""
    return (b'\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02'
            + struct.pack('!H', ethertype) + ip)


def udp(src, dst, sp, dp, data, ident=0):
    """One Ethernet frame, or IPv4 fragments (1480 bytes) when too large."""
    u = struct.pack('!HHHH', sp, dp, 8 + len(data), 0) + data
    if len(u) <= 1480:
        return [ether(ipv4(src, dst, 17, u, ident))]
    out = []
    for off in range(0, len(u), 1480):
        mf = 0x2000 if off + 1480 < len(u) else 0
        out.append(ether(ipv4(src, dst, 17, u[off:off + 1480], ident, mf | (off >> 3))))
    return out


def tcp(src, dst, sp, dp, seq, data, flags=0x18):
    t = struct.pack('!HHIIBBHHH', sp, dp, seq & 0xFFFFFFFF, 1, 5 << 4, flags, 65535, 0, 0)
    return ether(ipv4(src, dst, 6, t + data, flags_off=0x4000))


def foreign(i):
    """The i-th attacker address in 100.64.0.0/10."""
    return bytes([100, 64 + (i >> 16 & 63), i >> 8 & 255, i & 255])


def ip_s(b):
    return '.'.join(str(x) for x in b)


def rtp(pt, seq, ts, ssrc, payload, marker=False):
    return struct.pack('!BBHII', 0x80, pt | (0x80 if marker else 0), seq & 0xFFFF,
                       ts & 0xFFFFFFFF, ssrc) + payload


def sip(first, headers, body=b''):
    if isinstance(body, str):
        body = body.encode()
    return ('\r\n'.join([first] + headers) + '\r\nContent-Length: %d\r\n\r\n'
            % len(body)).encode() + body


def sdp(ip, port, fmts='0 101', extra=()):
    lines = ['v=0', 'o=- 1 1 IN IP4 %s' % ip, 's=-', 'c=IN IP4 %s' % ip, 't=0 0',
             'm=audio %d RTP/AVP %s' % (port, fmts), 'a=rtpmap:0 PCMU/8000'] + list(extra)
    return '\r\n'.join(lines) + '\r\n'


class Dialog:
    """The SIP messages of one attacker call, src -> PBX."""

    def __init__(self, rng, src, sport, call_id, user='attacker', disp=None):
        self.rng, self.src, self.sport, self.cid = rng, src, sport, call_id
        d = '"%s" ' % disp if disp is not None else ''
        self.frm = '%s<sip:%s@%s>;tag=%08x' % (d, user, ip_s(src), rng.getrandbits(32))
        self.to = '<sip:+14155550100@%s>' % PBX_S
        self.to_tag = ';tag=%08x' % rng.getrandbits(32)
        self.cseq = 1

    def via(self):
        return 'Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%012x' % (
            ip_s(self.src), self.sport, self.rng.getrandbits(48))

    def invite(self, body=''):
        self.inv_via = self.via()
        h = [self.inv_via, 'Max-Forwards: 70', 'From: ' + self.frm, 'To: ' + self.to,
             'Call-ID: ' + self.cid, 'CSeq: 1 INVITE',
             'Contact: <sip:attacker@%s:%d>' % (ip_s(self.src), self.sport)]
        if body:
            h.append('Content-Type: application/sdp')
        return udp(self.src, PBX, self.sport, 5060,
                   sip('INVITE sip:+14155550100@%s SIP/2.0' % PBX_S, h, body))

    def ok(self, body='', cseq='1 INVITE', via=None):
        h = [via or self.inv_via, 'From: ' + self.frm, 'To: ' + self.to + self.to_tag,
             'Call-ID: ' + self.cid, 'CSeq: ' + cseq, 'Contact: <sip:pbx@%s:5060>' % PBX_S]
        if body:
            h.append('Content-Type: application/sdp')
        return udp(PBX, self.src, 5060, self.sport, sip('SIP/2.0 200 OK', h, body))

    def request(self, method, body=''):
        self.cseq += 1
        self.last_via = self.via()
        h = [self.last_via, 'Max-Forwards: 70', 'From: ' + self.frm,
             'To: ' + self.to + self.to_tag, 'Call-ID: ' + self.cid,
             'CSeq: %d %s' % (self.cseq, method)]
        if body:
            h.append('Content-Type: application/sdp')
        return udp(self.src, PBX, self.sport, 5060,
                   sip('%s sip:pbx@%s:5060 SIP/2.0' % (method, PBX_S), h, body))


def answered_call(ctx, src, name, pbx_port):
    """An attacker call from src (media at src:20000) answered by the PBX
    (media at pbx_port) 1 ms into the capture: (its Dialog, its frames as
    (time, frame) pairs)."""
    rng = ctx.rng
    d = Dialog(rng, src, 5060, '%s-%x@%s' % (name, rng.getrandbits(32), ip_s(src)))
    t = ctx.t0 + 1000
    frames = [(t, f) for f in d.invite(sdp(ip_s(src), 20000))]
    frames += [(t + 1000, f) for f in d.ok(sdp(PBX_S, pbx_port))]
    return d, frames


# ---------------------------------------------------------------- attacks
# Each attack is a generator of (time_us, frame) in time order over the
# window [t0, t1] of the legit capture; ctx carries the legit facts and
# collects the info written by --info.

def spread(n, t0, t1):
    """n times evenly spread over [t0, t1)."""
    span = max(1, t1 - t0)
    return (t0 + span * i // max(1, n) for i in range(n))


def a_scan(ctx, n):
    rng = ctx.rng
    t0, t1 = ctx.t0, ctx.t1
    nsrc = max(20, n // 200)
    methods = ('OPTIONS', 'REGISTER', 'INVITE')
    for i, t in enumerate(spread(n, t0, t1)):
        src = foreign(1 + rng.randrange(nsrc))
        sport = 5060 + rng.randrange(3)
        ext = 100 + i % 9900
        m = methods[(i // 7) % 3]
        ruri = 'sip:%d@%s' % (ext, PBX_S) if m != 'OPTIONS' else 'sip:100@1.1.1.1'
        cid = '%x' % rng.getrandbits(64)
        tag = '%x' % rng.getrandbits(40)
        h = ['Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-%x;rport' % (ip_s(src), sport,
                                                                 rng.getrandbits(40)),
             'Max-Forwards: 70', 'From: "%d"<sip:%d@%s>;tag=%s' % (ext, ext, PBX_S, tag),
             'To: "%d"<sip:%d@%s>' % (ext, ext, PBX_S), 'User-Agent: friendly-scanner',
             'Call-ID: ' + cid, 'CSeq: 1 %s' % m,
             'Contact: <sip:%d@%s:%d>' % (ext, ip_s(src), sport), 'Accept: application/sdp']
        if m == 'REGISTER':
            h.append('Expires: 3600')
        for f in udp(src, PBX, sport, 5060, sip('%s %s SIP/2.0' % (m, ruri), h)):
            yield t, f
        if i % 2 == 0:
            code = {'OPTIONS': '200 OK', 'REGISTER': '401 Unauthorized',
                    'INVITE': '404 Not Found'}[m]
            r = [h[0], 'From: ' + h[2][6:], 'To: ' + h[3][4:] + ';tag=pbx%x' % i,
                 'Call-ID: ' + cid, 'CSeq: 1 %s' % m]
            for f in udp(PBX, src, 5060, sport, sip('SIP/2.0 ' + code, r)):
                yield t + 2000, f


def flood_invites(ctx, n, answered):
    """n INVITEs (and a 200 OK each when answered) over the first 40 % of the
    legit capture: later legit calls arrive with the table already full."""
    rng = ctx.rng
    t1 = ctx.t0 + max(US, (ctx.t1 - ctx.t0) * 2 // 5)
    ctx.info['rate_per_s'] = round(n * US / (t1 - ctx.t0))
    for i, t in enumerate(spread(n, ctx.t0, t1)):
        src = foreign(i % 60000 + 1)
        d = Dialog(rng, src, 5060, 'flood-%d-%x@%s' % (i, rng.getrandbits(32), ip_s(src)))
        for f in d.invite():
            yield t, f
        if answered:
            for f in d.ok(sdp(PBX_S, 60001 + 2 * (i % 2700))):
                yield t + 300, f


def a_invite_flood(ctx, n):
    return flood_invites(ctx, n, False)


def a_spoofed_pairs(ctx, n):
    return flood_invites(ctx, n, True)


def a_long_fields(ctx, n):
    rng = ctx.rng
    for i, t in enumerate(spread(n, ctx.t0, ctx.t1)):
        src = foreign(i % 60000 + 1)
        cid = ('%08d-' % i) + ''.join(rng.choice('abcdef0123456789') for _ in range(16)) \
            + 'c' * (30 * 1024 - 25)
        d = Dialog(rng, src, 5060, cid, disp='N' * (30 * 1024))
        for f in d.invite(sdp(ip_s(src), 20000)):
            yield t, f
        for f in d.ok(sdp(PBX_S, 60001 + 2 * (i % 2700))):
            yield t + 5000, f


def twin(rng, s):
    """--control: a random string of the same length and alphabet."""
    return ''.join(rng.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in s)


def fnv1a32(data, h=2166136261):
    for c in data:
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h


COLLIDE_ALPHABET = b'abcdefghijklmnopqrstuvwxyz0123456789'


def collision_pairs(k, seed=1):
    """k pairs of 6-byte blocks (a, b), a != b, each mapping the FNV-1a state
    reached after the blocks before it to one same state: any choice of a or
    b per position gives the same hash (FNV-1a is a bijection per byte, so a
    birthday search over blocks from a fixed state finds a pair in about
    2^16 tries)."""
    rng = random.Random(seed)
    h = 2166136261
    pairs = []
    alpha = COLLIDE_ALPHABET
    for _ in range(k):
        seen = {}
        while True:
            blk = bytes(rng.choice(alpha) for _ in range(6))
            v = fnv1a32(blk, h)
            o = seen.get(v)
            if o is not None and o != blk:
                pairs.append((o, blk))
                h = v
                break
            seen[v] = blk
    return pairs


# collision_pairs(17, seed=1), precomputed (the search takes about 8 s).
PAIRS_17 = [('m0oe1l', '5aum35'),
             ('kh1fii', 'fklzzk'),
             ('4jai4c', 'd2xy8l'),
             ('kb9qxi', '9jav4d'),
             ('isw090', 'q8h15g'),
             ('l13j90', 'n4w7sh'),
             ('1aahan', 'sgd7pe'),
             ('jn5s73', '2uwx6j'),
             ('uv0o5m', 'dfrm5v'),
             ('3tgb78', 'x092j0'),
             ('beds3f', 'w1dfev'),
             ('071qbo', 's8pat4'),
             ('c0lscl', '8vavfb'),
             ('vhvjgb', 'ck7w5z'),
             ('vbn5gj', 'ty6rbg'),
             ('alnhr5', 'v52h2q'),
             ('zq48zl', 'yphnqo')]


def colliding_ids(k, suffix=b'@collide.invalid'):
    """2^k Call-IDs (bytes) of one FNV-1a 32-bit hash, checked."""
    if k <= len(PAIRS_17):
        pairs = [(a.encode(), b.encode()) for a, b in PAIRS_17[:k]]
    else:
        pairs = collision_pairs(k)
    h = {fnv1a32(b''.join(p[0] for p in pairs)), fnv1a32(b''.join(p[1] for p in pairs))}
    if len(h) != 1:
        raise SystemExit('attacks.py: collision pairs do not collide')
    for i in range(1 << k):
        yield b''.join(p[(i >> j) & 1] for j, p in enumerate(pairs)) + suffix


def a_collide(ctx, k):
    rng = ctx.rng
    n = 1 << k
    t1 = ctx.t0 + max(US, (ctx.t1 - ctx.t0) * 2 // 5)
    ids = colliding_ids(k)
    for i, t in enumerate(spread(n, ctx.t0, t1)):
        cid = next(ids).decode()
        if ctx.control:
            cid = twin(rng, cid)
        src = foreign(i % 60000 + 1)
        d = Dialog(rng, src, 5060, cid)
        for f in d.invite():
            yield t, f


# 15 pairs of 4-byte blocks (the same search from the FNV-1a basis, seed 4):
# 2^15 keys of 60 characters, under the 63 of a caller-history key.
PAIRS4_15 = [('7yfz', 'e6un'),
            ('a6od', '3ylp'),
            ('01eg', 'ntts'),
            ('0pud', 'f3fp'),
            ('7rjt', 'opfz'),
            ('05zm', 'bpcq'),
            ('6rnu', 'npbc'),
            ('o3ll', '9pox'),
            ('zwjg', '2qfu'),
            ('xwf6', '0uj8'),
            ('ywfl', '1ujb'),
            ('4yem', 'f6vy'),
            ('3pfd', 'krjj'),
            ('qqdi', '9wlg'),
            ('g5fc', '5pww')]


def a_collide_caller(ctx, k):
    """2^k calls rejected at once (486), whose From users (lower case, not
    numbers: kept whole as caller-history keys) share one FNV-1a hash."""
    rng = ctx.rng
    pairs = [(a.encode(), b.encode()) for a, b in PAIRS4_15[:k]]
    if fnv1a32(b''.join(p[0] for p in pairs)) != fnv1a32(b''.join(p[1] for p in pairs)):
        raise SystemExit('attacks.py: caller pairs do not collide')
    n = 1 << k
    t1 = ctx.t0 + max(US, (ctx.t1 - ctx.t0) * 2 // 5)
    for i, t in enumerate(spread(n, ctx.t0, t1)):
        user = b''.join(p[(i >> j) & 1] for j, p in enumerate(pairs)).decode()
        if ctx.control:
            user = twin(rng, user)
        src = foreign(i % 60000 + 1)
        d = Dialog(rng, src, 5060, 'collide-caller-%d-%x' % (i, rng.getrandbits(32)), user=user)
        for f in d.invite():
            yield t, f
        h = [d.inv_via, 'From: ' + d.frm, 'To: ' + d.to + d.to_tag, 'Call-ID: ' + d.cid,
             'CSeq: 1 INVITE']
        for f in udp(PBX, src, 5060, 5060, sip('SIP/2.0 486 Busy Here', h)):
            yield t + 500, f


M32 = 0xFFFFFFFF


def rotl32(x, r):
    return ((x << r) | (x >> (32 - r))) & M32


def murmur_mix(h, k):
    """hash_mix of src/util/addr.c (one MurmurHash3 block step)."""
    k = rotl32((k * 0xcc9e2d51) & M32, 15) * 0x1b873593 & M32
    h = rotl32(h ^ k, 13)
    return (h * 5 + 0xe6546b64) & M32


def murmur_unmix(h, target):
    """The word k with murmur_mix(h, k) == target."""
    x = ((target - 0xe6546b64) * pow(5, -1, 1 << 32)) & M32
    x = rotl32(x, 19) ^ h
    x = (x * pow(0x1b873593, -1, 1 << 32)) & M32
    return (rotl32(x, 17) * pow(0xcc9e2d51, -1, 1 << 32)) & M32


def media_collider(port, target=0x5eed1e55):
    """The IPv4 address (bytes) whose media endpoint hash with this port, as
    src/rtp/media.c ep_hash computes it (ct_addr_hash with seed 0x9e3779b9 ^
    port; the address word read in little-endian byte order), has the inner
    state target: every (port, media_collider(port)) shares one hash."""
    h = murmur_mix((2166136261 ^ 0x9e3779b9 ^ port) & M32, 4)
    w = murmur_unmix(h, target)
    assert murmur_mix(h, w) == target
    return struct.pack('<I', w)


def a_collide_media(ctx, n):
    """n answered calls over the first 40 % of the capture, each offering one
    endpoint (address, even port) from media_collider, then 4 n RTP packets
    from those endpoints to the PBX over the rest: every endpoint insertion
    and lookup walks one chain of n entries in an unkeyed table."""
    rng = ctx.rng
    n = min(n, 32000)
    t1 = ctx.t0 + max(US, (ctx.t1 - ctx.t0) * 2 // 5)
    eps = []
    for i, t in enumerate(spread(n, ctx.t0, t1)):
        port = 1024 + 2 * i
        a = media_collider(port)
        if ctx.control:
            a = bytes([100, 64 + rng.randrange(64), rng.randrange(256), 1 + rng.randrange(254)])
        if a == b'\0\0\0\0':
            continue
        eps.append((a, port))
        src = foreign(i % 60000 + 1)
        d = Dialog(rng, src, 5060, 'collide-media-%d-%x' % (i, rng.getrandbits(32)))
        for f in d.invite(sdp(ip_s(a), port)):
            yield t, f
        for f in d.ok(sdp(PBX_S, 60001)):
            yield t + 500, f
    ssrc = [rng.getrandbits(32) for _ in eps]
    for j, t in enumerate(spread(4 * len(eps), t1 + 1000, ctx.t1)):
        i = rng.randrange(len(eps))
        a, port = eps[i]
        yield t, udp(a, PBX, port, 60001, rtp(0, j, 160 * j, ssrc[i], b'\xff' * 160))[0]


def a_update_storm(ctx, n):
    """One answered attacker call, then n UPDATE transactions: each offer
    and each answer carries 8 audio m= lines on ports (and an address) never
    announced before, so every message adds 16 media endpoints (RTP and
    RTCP) to the call."""
    src = foreign(7)
    d, frames = answered_call(ctx, src, 'update-storm', 60001)
    yield from frames
    t = ctx.t0 + 1000

    def multi(addr, base):
        lines = ['v=0', 'o=- 1 %d IN IP4 %s' % (base, addr), 's=-', 'c=IN IP4 %s' % addr,
                 't=0 0']
        for j in range(8):
            lines += ['m=audio %d RTP/AVP 0' % (base + 2 * j), 'a=rtpmap:0 PCMU/8000']
        return '\r\n'.join(lines) + '\r\n'
    for i, t in enumerate(spread(n, t + 2000, ctx.t1)):
        # New addresses in 100.64.0.0/10 and new ports: never a legit endpoint.
        base = 1024 + 16 * (i % 4000)
        a = '100.%d.%d.%d' % (64 + (i >> 16 & 31), i >> 8 & 255, i & 255)
        b = '100.%d.%d.%d' % (96 + (i >> 16 & 31), i >> 8 & 255, i & 255)
        for f in d.request('UPDATE', multi(a, base)):
            yield t, f
        for f in d.ok(multi(b, base), '%d UPDATE' % d.cseq, d.last_via):
            yield t + 100, f


def a_sdp_steal(ctx, n):
    """Not in `list` (not an item of issue 9; reported separately): one
    attacker call whose UPDATE answers, spoofed from the PBX, announce every
    PBX media port gen-calls uses (10000-59998, even), n of them spread
    over the capture, each with a new attacker address: a media table where
    the newest SDP owner wins takes live legit endpoints away from their
    calls."""
    rng = ctx.rng
    src = foreign(11)
    d = Dialog(rng, src, 5060, 'sdp-steal-%x@%s' % (rng.getrandbits(32), ip_s(src)))
    t = ctx.t0 + 1000
    for f in d.invite(sdp(ip_s(src), 20000)):
        yield t, f
    for f in d.ok(sdp(PBX_S, 60001)):
        yield t + 1000, f
    for i, t in enumerate(spread(n, t + 2000, ctx.t1)):
        for f in d.request('UPDATE', sdp(ip_s(foreign(20000 + i)), 20000)):
            yield t, f
        for f in d.ok(sdp(PBX_S, 10000 + 2 * (i % 25000)), '%d UPDATE' % d.cseq, d.last_via):
            yield t + 100, f


def a_many_headers(ctx, n):
    rng = ctx.rng
    for i, t in enumerate(spread(n, ctx.t0, ctx.t1)):
        src = foreign(100 + i)
        h = ['Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK%x' % (ip_s(src), rng.getrandbits(40)),
             'From: <sip:a@%s>;tag=%x' % (ip_s(src), rng.getrandbits(32)),
             'To: <sip:+14155550100@%s>' % PBX_S,
             'Call-ID: many-headers-%d@%s' % (i, ip_s(src)), 'CSeq: 1 INVITE']
        lines = ['a:%d' % (j % 10) for j in range(12000)]
        body = ''
        if ctx.control:
            # The same bytes as a body: same size, same fragments.
            h.append('Content-Type: text/plain')
            body = '\r\n'.join(lines) + '\r\n'
        else:
            h += lines
        for f in udp(src, PBX, 5060, 5060, sip('INVITE sip:+14155550100@%s SIP/2.0' % PBX_S, h,
                                               body), ident=i):
            yield t, f


def a_tcp_10byte(ctx, n):
    """Each message: an INVITE start line and 66 KB of 5-byte header lines
    that never end (the framing limit is 64 KB: the stream is then
    resynchronised), sent in 10-byte segments on its own connection; the
    messages take turns segment by segment.  A framer that rescans the
    buffer from its start on each segment walks 13,000 lines each time."""
    rng = ctx.rng
    msgs = []
    for i in range(n):
        src = foreign(200 + i)
        h = ['Via: SIP/2.0/TCP %s:%d;branch=z9hG4bK%x' % (ip_s(src), 40000 + i,
                                                        rng.getrandbits(40)),
             'Call-ID: tcp-10byte-%d@%s' % (i, ip_s(src))]
        line = b'a:1\r\n'
        if ctx.control:
            # Same bytes in 1,000-byte lines: a rescan costs one memchr per line.
            line = b'X-Long: ' + b'l' * 990 + b'\r\n'
        data = ('\r\n'.join(['INVITE sip:+14155550100@%s SIP/2.0' % PBX_S] + h) + '\r\n'
                ).encode() + line * (66 * 1024 // len(line))
        msgs.append((src, 40000 + i, data))
    total = sum((len(m[2]) + 9) // 10 for m in msgs)
    times = spread(total + 2 * n, ctx.t0, ctx.t1)
    isn = 1000
    for src, sp, _ in msgs:
        yield next(times), tcp(src, PBX, sp, 5060, isn - 1, b'', 0x02)
    for off in range(0, max(len(m[2]) for m in msgs), 10):
        for src, sp, data in msgs:
            if off < len(data):
                yield next(times), tcp(src, PBX, sp, 5060, isn + off, data[off:off + 10])
    for src, sp, data in msgs:
        yield next(times), tcp(src, PBX, sp, 5060, isn + len(data), b'', 0x11)


def a_tcp_ooo(ctx, n, per=12000):
    """Each stream: one byte in order, a hole of one byte, one byte far
    ahead (the tail of the held list), then bytes 2, 3, ... in ascending
    order: each lands just before the tail, so an insertion that walks the
    held list from its head costs O(held).  The hole is filled last."""
    rng = ctx.rng
    streams = []
    for i in range(n):
        src = foreign(300 + i)
        body = ('INVITE sip:+14155550100@%s SIP/2.0\r\nCall-ID: tcp-ooo-%d\r\n' % (PBX_S, i)
                ).encode()
        body += b'X' * (per + 1 - len(body))
        streams.append((src, 41000 + i, body))
    times = spread(n * (per + 3), ctx.t0, ctx.t1)
    isn = rng.getrandbits(31)
    order = [0, per] + list(range(2, per)) + [1]
    if ctx.control:
        order = sorted(order)    # the same segments in order
    for idx in order:
        for src, sp, body in streams:
            yield next(times), tcp(src, PBX, sp, 5060, isn + idx, body[idx:idx + 1])


def legit_target(ctx):
    """An answered legit call with a stream to the PBX and a long talk: its
    call_id, the PBX media endpoint and the time span of that stream."""
    best = None
    for r in ctx.truth:
        if r.get('disposition') != 'answered' or r.get('transport') != 'udp' \
                or ':' in r['dst_ip'] or r.get('vlan') is not None:
            continue
        if not r.get('answer_time') or not r.get('end_time'):
            continue
        for s in r.get('streams', []):
            if s['dst'].startswith(PBX_S + ':'):
                a, b = iso_us(r['answer_time']), iso_us(r['end_time'])
                if best is None or b - a > best[3] - best[2]:
                    best = (r['call_id'], int(s['dst'].rsplit(':', 1)[1]), a, b,
                            s['src'])
    return best


def a_rtp_flood(ctx, n):
    rng = ctx.rng
    target = legit_target(ctx)
    loud = []
    if target is not None:
        cid, port, a, b = target[:4]
        ctx.info['loud_call_id'] = cid
        ctx.info['loud_port'] = port
        src = foreign(999)
        ssrc = 0x10AD10AD
        t = a + 40000
        k = 0
        # A full-scale square wave in u-law (0x80 = +32124, 0x00 = -32124).
        pay = (b'\x80' * 20 + b'\x00' * 20) * 4
        while t < b - 40000:
            loud.append((t, udp(src, PBX, 47000, port, rtp(0, k, 160 * k, ssrc, pay))[0]))
            t += 20000
            k += 1
        ctx.info['loud_packets'] = len(loud)

    def flood():
        for i, t in enumerate(spread(n, ctx.t0, ctx.t1)):
            src = foreign(1000 + rng.randrange(4000))
            port = 10000 + 2 * rng.randrange(25000)
            pay = bytes([rng.randrange(256)]) * 160
            yield t, udp(src, PBX, 16384 + 2 * rng.randrange(8000), port,
                         rtp(0, i, 160 * i, rng.getrandbits(32), pay))[0]
    return heapq.merge(flood(), loud, key=lambda x: x[0])


def a_pt_switch(ctx, n):
    """Answered attacker calls (offer PCMU and G.722) whose RTP, both ways,
    is PCMU for 1 s then G.722 (PT 9) for 1 s; then BYE."""
    rng = ctx.rng
    gens = []
    for i, t in enumerate(spread(n, ctx.t0, max(ctx.t0 + 1, ctx.t1 - 4 * US))):
        gens.append(pt_call(rng, i, t))
    return heapq.merge(*gens, key=lambda x: x[0])


def pt_call(rng, i, t):
    src = foreign(5000 + i)
    d = Dialog(rng, src, 5060, 'pt-switch-%d-%x@%s' % (i, rng.getrandbits(32), ip_s(src)))
    cport, pport = 20000 + 2 * i, 60001 + 2 * (i % 2700)
    ext = ['a=rtpmap:9 G722/8000']
    for f in d.invite(sdp(ip_s(src), cport, '0 9', ext)):
        yield t, f
    for f in d.ok(sdp(PBX_S, pport, '0 9', ext)):
        yield t + 100000, f
    for f in d.request('ACK'):
        yield t + 110000, f
    pkts = []
    for side, (s, sp, dst, dp) in enumerate(((src, cport, PBX, pport), (PBX, pport, src, cport))):
        ssrc = rng.getrandbits(32)
        for k in range(100):
            pt = 0 if k < 50 else 9
            pay = bytes(rng.randrange(256) for _ in range(8)) * 20
            pkts.append((t + 120000 + 20000 * k + side * 7,
                         udp(s, dst, sp, dp, rtp(pt, k, 160 * k, ssrc, pay))[0]))
    pkts.sort(key=lambda x: x[0])
    yield from pkts
    for f in d.request('BYE'):
        yield t + 2200000, f


INT64_MAX = (1 << 63) - 1


def a_pcapng_ts(ctx, n):
    """After the legit traffic: an answered attacker call with RTP at normal
    times, then RTP packets and IP fragments on interface 1, whose raw
    64-bit timestamps (microseconds) are near INT64_MAX, INT64_MIN (as
    unsigned), 0 and 2^64 - 1, and on interface 2 (resolution 1 s and an
    if_tsoffset of 2^62 s) where every conversion to microseconds
    overflows.  The timestamps are returned as (interface, raw) tuples."""
    rng = ctx.rng
    t = ctx.t1 + US
    src = foreign(8000)
    d = Dialog(rng, src, 5060, 'pcapng-ts-%x@%s' % (rng.getrandbits(32), ip_s(src)))
    for f in d.invite(sdp(ip_s(src), 20000)):
        yield t, f
    for f in d.ok(sdp(PBX_S, 60001)):
        yield t + 1000, f
    ssrc = rng.getrandbits(32)
    for k in range(10):
        yield t + 2000 + 20000 * k, udp(src, PBX, 20000, 60001, rtp(0, k, 160 * k, ssrc,
                                                                   b'\xff' * 160))[0]
    raws = [INT64_MAX, INT64_MAX - 1, 1 << 63, (1 << 64) - 1, 0, 1, (1 << 63) + 1,
            INT64_MAX - 20000]
    big = sip('MESSAGE sip:x@%s SIP/2.0' % PBX_S, ['Call-ID: frag-ts', 'X: ' + 'f' * 3000])
    for k in range(n):
        ifc = 1 if k % 4 else 2
        raw = raws[k % len(raws)] if ifc == 1 else (k * 7919) % (1 << 40)
        if k % 3 == 2:
            frags = udp(src, PBX, 5060, 5060, big, ident=k)
            yield (ifc, raw), frags[0]
            raw2 = raws[(k + 3) % len(raws)]
            yield (1, raw2), frags[-1]
        else:
            yield (ifc, raw), udp(src, PBX, 20000, 60001,
                                  rtp(0, 10 + k, 160 * (10 + k), ssrc, b'\xff' * 160))[0]


def a_ts_outlier(ctx, n):
    """n times over the legit capture, two frames (an OPTIONS from a
    stranger and an RTP packet to a PBX port) stored with a time 1 to 6
    hours away from the frames around them, ahead for the even ones and
    behind for the odd ones: a file with corrupt times, or a sensor whose
    clock stepped and stepped back.  A capture clock that followed a frame
    ahead at once timed out every open call (23 of 80 legit calls wrong in
    hostile.sh's capture); each pair ahead is now an outlier the clock
    does not follow (time_jumps_ignored, info 'ahead').  Yielded as
    (position, frame, stored time)."""
    rng = ctx.rng
    ahead = 0
    for k, t in enumerate(spread(n, ctx.t0 + US, ctx.t1 - US)):
        off = rng.randrange(3600, 6 * 3600) * US
        w = t + off if k % 2 == 0 else t - off
        ahead += k % 2 == 0
        src = foreign(9000 + k)
        opt = sip('OPTIONS sip:%s SIP/2.0' % PBX_S,
                  ['Via: SIP/2.0/UDP %s:5060;branch=z9hG4bKts%d' % (ip_s(src), k),
                   'From: <sip:probe@%s>;tag=ts%d' % (ip_s(src), k), 'To: <sip:%s>' % PBX_S,
                   'Call-ID: ts-outlier-%d@%s' % (k, ip_s(src)), 'CSeq: 1 OPTIONS'])
        yield t, udp(src, PBX, 5060, 5060, opt)[0], w
        yield t, udp(src, PBX, 30000 + 2 * k % 20000, 60001 + 2 * (k % 1000),
                     rtp(0, k, 160 * k, rng.getrandbits(32), b'\xff' * 160))[0], w
    ctx.info['ahead'] = ahead


# ---------------------------------------------------------------- in-dialog forgeries

def legit_tags(ctx):
    """Call-ID -> [caller From tag, callee To tag] sniffed from the legit
    capture (what an attacker on the path, or one that reads a leaked log,
    knows)."""
    import re
    cid_re = re.compile(rb'\r\n(?:Call-ID|i)\s*:\s*([^\r\n]+)', re.I)
    from_re = re.compile(rb'\r\n(?:From|f)\s*:[^\r\n]*;tag=([^;\r\n>]+)', re.I)
    to_re = re.compile(rb'\r\n(?:To|t)\s*:[^\r\n]*;tag=([^;\r\n>]+)', re.I)
    tags = {}
    for _, fr in read_pcap(ctx.legit):
        if b'SIP/2.0' not in fr:
            continue
        m = cid_re.search(fr)
        if m is None:
            continue
        cid = m.group(1).strip().decode('utf-8', 'replace')
        t = tags.setdefault(cid, [None, None])
        i = fr.find(b'INVITE sip:')
        f, to = from_re.search(fr), to_re.search(fr)
        if t[0] is None and f is not None and 0 <= i < 80:
            t[0] = f.group(1).decode()
        if t[1] is None and to is not None and fr.find(b'SIP/2.0 ') >= 0 and \
                fr.find(b'SIP/2.0 1') < 0 and f is not None and t[0] == f.group(1).decode():
            t[1] = to.group(1).decode()
    return tags


def ep(s):
    """'ip:port' or '[ip6]:port' of the truth -> (ip text, port)."""
    host, port = s.rsplit(':', 1)
    return host.strip('[]'), int(port)


def forged(src, dst_ip, cid, first, method_cseq, ftag, ttag, body='', contact=True):
    """One in-dialog SIP message from an attacker at src (bytes) to dst_ip
    (text), carrying the call's Call-ID and tags: a request when first is a
    method, else a response status line."""
    req = not first.startswith('SIP/2.0')
    import zlib
    branch = zlib.crc32(('%s %s %s' % (cid, first, method_cseq)).encode())
    h = ['Via: SIP/2.0/UDP %s:5060;branch=z9hG4bKforge%08x' % (ip_s(src), branch),
         'Max-Forwards: 70',
         'From: <sip:caller@%s>;tag=%s' % (dst_ip, ftag),
         'To: <sip:callee@%s>%s' % (dst_ip, ';tag=' + ttag if ttag else ''),
         'Call-ID: ' + cid, 'CSeq: ' + method_cseq]
    if contact:
        h.append('Contact: <sip:x@%s:5060>' % ip_s(src))
    if body:
        h.append('Content-Type: application/sdp')
    line = '%s sip:callee@%s SIP/2.0' % (first, dst_ip) if req else first
    return udp(src, bytes(int(x) for x in dst_ip.split('.')), 5060, 5060, sip(line, h, body))


def rtcp_sr(ssrc):
    return struct.pack('!BBHIIIIII', 0x80, 200, 6, ssrc, 0, 0, 0, 0, 0)


def a_sdp_hijack(ctx, n):
    """For n answered legit IPv4 calls: an attacker who knows the Call-ID
    and tags sends, from its own address, a re-INVITE, an UPDATE and an ACK
    offering its own media, and a 200 with SDP; then RTP from that media
    address to both parties' media ports and RTCP to their RTCP ports.
    The legit records must not change (no foreign stream, no new media)."""
    rng = ctx.rng
    tags = legit_tags(ctx)
    calls = [r for r in ctx.truth if r.get('disposition') == 'answered'
             and r.get('answer_time') and r.get('end_time') and ':' not in r['dst_ip']
             and len(r.get('streams') or []) >= 2 and tags.get(r['call_id'], [None])[0]]
    rng.shuffle(calls)
    calls = calls[:n]
    gens, msgs, rtcps, rtps = [], 0, 0, 0
    for i, r in enumerate(calls):
        a, b = iso_us(r['answer_time']), iso_us(r['end_time'])
        if b - a < 400000:
            continue
        cid, (ft, tt) = r['call_id'], tags[r['call_id']]
        src = foreign(30000 + i)
        mport = 30000 + 2 * i
        offer = sdp(ip_s(src), mport)
        t = a + (b - a) // 4
        out = []
        for k, (first, cs) in enumerate((('INVITE', '9001 INVITE'), ('UPDATE', '9002 UPDATE'),
                                         ('SIP/2.0 200 OK', '9001 INVITE'),
                                         ('ACK', '9001 ACK'))):
            for f in forged(src, r['dst_ip'], cid, first, cs, ft, tt, offer):
                out.append((t + 1000 * k, f))
            msgs += 1
        pk, nr = attacker_rtp(rng, r, src, mport, t, b, rtcp=True)
        out += pk
        rtps += len(pk) - nr
        rtcps += nr
        out.sort(key=lambda x: x[0])
        gens.append(out)
    ctx.info.update(calls=len(gens), foreign_msgs=msgs, rtp=rtps, rtcp=rtcps)
    return heapq.merge(*gens, key=lambda x: x[0])


def attacker_rtp(rng, r, src, mport, t, b, rtcp=False):
    """The attacker's media for legit call r (truth record, IPv4): from
    src:mport (RTCP from mport + 1) to both parties' media ports, one
    packet every 20 ms each from t + 10 ms, at most 50 a side, stopping
    before the call's end b; with rtcp, a sender report every tenth packet.
    Returns ([(time, frame)], RTCP packets among them)."""
    out, nr = [], 0
    ssrc = rng.getrandbits(32)
    dsts = [ep(x['dst']) for x in r['streams'][:2]]
    for j in range(min(50, max(1, (b - t - 10000) // 20000 - 1))):
        for d, (dip, dport) in enumerate(dsts):
            out.append((t + 10000 + 20000 * j + d, udp(
                src, bytes(int(x) for x in dip.split('.')), mport, dport,
                rtp(0, j, 160 * j, ssrc + d, b'\x80\x00' * 80))[0]))
            if rtcp and j % 10 == 0:
                out.append((t + 10000 + 20000 * j + d + 2, udp(
                    src, bytes(int(x) for x in dip.split('.')), mport + 1, dport + 1,
                    rtcp_sr(ssrc + d))[0]))
                nr += 1
    return out, nr


def a_forged_bye(ctx, n):
    """For n legit calls: an attacker who knows the Call-ID and tags sends,
    from its own address, a BYE halfway through an answered call (both
    directions' tags) and a CANCEL (then a BYE) while an unanswered call is
    still ringing.  The legit records must not change."""
    tags = legit_tags(ctx)
    calls = [r for r in ctx.truth if r.get('start_time') and r.get('end_time')
             and tags.get(r['call_id'], [None])[0] and ':' not in r['dst_ip']]
    ctx.rng.shuffle(calls)
    out, msgs = [], 0
    for i, r in enumerate(calls[:n]):
        cid, (ft, tt) = r['call_id'], tags[r['call_id']]
        src = foreign(40000 + i)
        s, e = iso_us(r['start_time']), iso_us(r['end_time'])
        if r.get('answer_time'):
            a = iso_us(r['answer_time'])
            t = a + (e - a) // 2
            seq = [('BYE', '9101 BYE', ft, tt), ('BYE', '9102 BYE', tt or 'x', ft)]
        else:
            t = s + (e - s) // 2
            seq = [('CANCEL', '1 CANCEL', ft, None), ('BYE', '9103 BYE', ft, tt)]
        if e - t < 2000:
            continue
        for k, (m, cs, f, to) in enumerate(seq):
            for fr in forged(src, r['dst_ip'], cid, m, cs, f, to):
                out.append((t + 500 * k, fr))
            msgs += 1
    out.sort(key=lambda x: x[0])
    ctx.info.update(calls=msgs // 2, foreign_msgs=msgs)
    return iter(out)


def a_bye_wrong_tag(ctx, n):
    """For n answered legit IPv4 calls: halfway through (one in four while
    it rings), a BYE from the caller's own address (spoofed: on the call's
    signalling path) with the call's Call-ID but tags that are not the
    dialog's (the caller's From tag with a wrong To tag, or both wrong), and
    the PBX's 481 to it.  The legit records must not change: each call is
    answered as it was and ends at its real BYE."""
    tags = legit_tags(ctx)
    calls = [r for r in ctx.truth if r.get('disposition') == 'answered'
             and r.get('answer_time') and r.get('end_time') and ':' not in r['dst_ip']
             and ':' not in r['src_ip'] and tags.get(r['call_id'], [None])[0]]
    ctx.rng.shuffle(calls)
    out, msgs = [], 0
    for i, r in enumerate(calls[:n]):
        cid, ft = r['call_id'], tags[r['call_id']][0]
        a, e = iso_us(r['answer_time']), iso_us(r['end_time'])
        t = a + (e - a) // 2
        if i % 4 == 2 and r.get('ringing_time') and a - iso_us(r['ringing_time']) > 20000:
            t = (iso_us(r['ringing_time']) + a) // 2   # while it rings: an early dialog
        if e - t < 10000:
            continue
        f, to = (ft, 'wrong%x' % i) if i % 2 == 0 else ('evil%x' % i, 'wrong%x' % i)
        cs = '%d BYE' % (9201 + i)
        src = bytes(int(x) for x in r['src_ip'].split('.'))
        dst = bytes(int(x) for x in r['dst_ip'].split('.'))
        for fr in forged(src, r['dst_ip'], cid, 'BYE', cs, f, to):
            out.append((t, fr))
        for fr in forged(dst, r['src_ip'], cid, 'SIP/2.0 481 Call/Transaction Does Not Exist',
                         cs, f, to, contact=False):
            out.append((t + 2000, fr))
        msgs += 2
    out.sort(key=lambda x: x[0])
    ctx.info.update(calls=msgs // 2, forged_msgs=msgs)
    return iter(out)


def legit_invite_cseq(ctx, last=False):
    """Call-ID -> CSeq number of its first INVITE (last: of its last initial
    INVITE, the one retried after a 401/407), sniffed from the legit
    capture (an attacker on the path reads it; a blind one guesses 1, 101
    or 102 and sends each)."""
    cid_re = re.compile(rb'\r\n(?:Call-ID|i)\s*:\s*([^\r\n]+)', re.I)
    cseq_re = re.compile(rb'\r\nCSeq\s*:\s*(\d+)\s+INVITE', re.I)
    to_tag_re = re.compile(rb'\r\n(?:To|t)\s*:[^\r\n]*;tag=', re.I)
    out = {}
    for _, fr in read_pcap(ctx.legit):
        i = fr.find(b'INVITE sip:')
        if i < 0 or i > 80:
            continue
        m, c = cid_re.search(fr), cseq_re.search(fr)
        if m is not None and c is not None:
            cid = m.group(1).strip().decode('utf-8', 'replace')
            if not last:
                out.setdefault(cid, int(c.group(1)))
            elif to_tag_re.search(fr) is None:
                out[cid] = max(out.get(cid, 0), int(c.group(1)))
    return out


def a_forged_resp(ctx, n):
    """For n legit IPv4 calls: a stranger who knows the Call-ID and tags
    sends, from its own address to the caller, a response the call's
    parties never sent (a Via branch of its own, so the caller's
    transactions would not take it): in turn, halfway through an answered
    call a 200 to a BYE never sent; while a call rings a 486 to its INVITE,
    a 200 to its INVITE (no SDP), a 200 to a CANCEL never sent.  The legit
    records must not change (no end, answer or failure from a stranger)."""
    tags = legit_tags(ctx)
    cseqs = legit_invite_cseq(ctx)
    calls = [r for r in ctx.truth if r.get('start_time') and r.get('end_time')
             and ':' not in r['dst_ip'] and ':' not in r['src_ip']
             and tags.get(r['call_id'], [None])[0] and r['call_id'] in cseqs]
    ctx.rng.shuffle(calls)
    out, msgs = [], 0
    for i, r in enumerate(calls[:n]):
        cid, (ft, tt) = r['call_id'], tags[r['call_id']]
        s, e = iso_us(r['start_time']), iso_us(r['end_time'])
        ring = iso_us(r['ringing_time']) if r.get('ringing_time') else None
        ans = iso_us(r['answer_time']) if r.get('answer_time') else None
        kind = i % 4
        if kind == 0 and ans is not None:
            t = ans + (e - ans) // 2
            first, cs, to = 'SIP/2.0 200 OK', '9401 BYE', tt
        elif kind != 0 and ring is not None and (ans or e) - ring > 20000:
            t = (ring + (ans or e)) // 2
            inv = cseqs[cid]
            first, cs, to = (('SIP/2.0 486 Busy Here', '%d INVITE' % inv, 'evil%x' % i),
                             ('SIP/2.0 200 OK', '%d INVITE' % inv, 'evil%x' % i),
                             ('SIP/2.0 200 OK', '%d CANCEL' % inv, None))[kind - 1]
        else:
            continue
        if e - t < 2000:
            continue
        src = foreign(46000 + i)
        for fr in forged(src, r['src_ip'], cid, first, cs, ft, to, contact=False):
            out.append((t, fr))
        msgs += 1
    out.sort(key=lambda x: x[0])
    ctx.info.update(calls=msgs, foreign_msgs=msgs)
    return iter(out)


def legit_challenges(ctx):
    """Call-ID -> capture time of the first 401/407 to its INVITE."""
    cid_re = re.compile(rb'\r\n(?:Call-ID|i)\s*:\s*([^\r\n]+)', re.I)
    out = {}
    for ts, fr in read_pcap(ctx.legit):
        i = fr.find(b'SIP/2.0 40')
        if i < 0 or fr[i + 10:i + 11] not in (b'1', b'7'):
            continue
        m = cid_re.search(fr)
        if m is not None:
            out.setdefault(m.group(1).strip().decode('utf-8', 'replace'), ts)
    return out


def a_reuse_callid(ctx, n):
    """For n legit IPv4 calls: a stranger who knows the Call-ID sends, from
    its own address, an initial INVITE (no To tag) in that Call-ID, for
    another number: 1 ms after the call's end (its BYE or final response),
    with a From tag of its own; and, between a 401/407 challenge and the
    caller's retried INVITE, with the caller's From tag and the next CSeq.
    The legit records must not change (their trailing RTP, their retried
    INVITE and its answer are still theirs)."""
    tags = legit_tags(ctx)
    cseqs = legit_invite_cseq(ctx)
    chal = legit_challenges(ctx)
    calls = [r for r in ctx.truth if r.get('start_time') and r.get('end_time')
             and ':' not in r['dst_ip'] and ':' not in r['src_ip']
             and tags.get(r['call_id'], [None])[0] and r['call_id'] in cseqs]
    ctx.rng.shuffle(calls)
    out, msgs = [], 0
    for i, r in enumerate(calls[:n]):
        cid, ft = r['call_id'], tags[r['call_id']][0]
        src = foreign(48000 + i)
        body = sdp(ip_s(src), 31000 + 2 * i)
        todo = [(iso_us(r['end_time']) + 1000, 'evil%x' % i, 1)]
        if cid in chal:
            todo.append((chal[cid] + 100, ft, cseqs[cid] + 1))
        for t, ftag, cseq in todo:
            h = ['Via: SIP/2.0/UDP %s:5060;branch=z9hG4bKreuse%x%d' % (ip_s(src), i, cseq),
                 'Max-Forwards: 70', 'From: <sip:caller@%s>;tag=%s' % (r['dst_ip'], ftag),
                 'To: <sip:+19995550%03d@%s>' % (i % 1000, r['dst_ip']),
                 'Call-ID: ' + cid, 'CSeq: %d INVITE' % cseq,
                 'Contact: <sip:x@%s:5060>' % ip_s(src), 'Content-Type: application/sdp']
            msg = sip('INVITE sip:+19995550%03d@%s SIP/2.0' % (i % 1000, r['dst_ip']), h, body)
            for fr in udp(src, bytes(int(x) for x in r['dst_ip'].split('.')), 5060, 5060, msg):
                out.append((t, fr))
            msgs += 1
    out.sort(key=lambda x: x[0])
    ctx.info.update(calls=min(n, len(calls)), invites=msgs)
    return iter(out)


def a_answered_stranger(ctx, n):
    """For n legit IPv4 calls: a stranger who knows the Call-ID and tags
    sends the callee side a request the call's parties never sent, and the
    callee side refuses it, answering the stranger: halfway through an
    answered call a BYE with a CSeq below the caller's (RFC 3261 12.2.2:
    500), while a call rings a copy of its INVITE on another branch (RFC
    3261 8.2.2.2: 482 Loop Detected).  The call goes on, so the legit
    records must not change: a response to a stranger's request is no
    part of the call."""
    tags = legit_tags(ctx)
    cseqs = legit_invite_cseq(ctx)
    calls = [r for r in ctx.truth if r.get('start_time') and r.get('end_time')
             and ':' not in r['dst_ip'] and ':' not in r['src_ip']
             and tags.get(r['call_id'], [None])[0] and r['call_id'] in cseqs]
    ctx.rng.shuffle(calls)
    out, msgs = [], 0
    for i, r in enumerate(calls[:n]):
        cid, (ft, tt) = r['call_id'], tags[r['call_id']]
        e = iso_us(r['end_time'])
        ring = iso_us(r['ringing_time']) if r.get('ringing_time') else None
        ans = iso_us(r['answer_time']) if r.get('answer_time') else None
        if i % 2 == 0 and ans is not None and tt:
            t = ans + (e - ans) // 2
            req, resp, cs, to = 'BYE', 'SIP/2.0 500 Server Internal Error', '0 BYE', tt
        elif ring is not None and (ans or e) - ring > 20000:
            t = (ring + (ans or e)) // 2
            req, resp, cs, to = ('INVITE', 'SIP/2.0 482 Loop Detected',
                                 '%d INVITE' % cseqs[cid], None)
        else:
            continue
        if e - t < 10000:
            continue
        src = foreign(50000 + i)
        callee = bytes(int(x) for x in r['dst_ip'].split('.'))
        for fr in forged(src, r['dst_ip'], cid, req, cs, ft, to):
            out.append((t, fr))
        # The callee side's answer to the stranger (its Via: the stranger).
        for fr in forged(src, r['dst_ip'], cid, resp, cs, ft, to or 'refuse%x' % i,
                         contact=False):
            ip = fr[14:34]
            ip = ip[:12] + callee + src
            ip = ip[:10] + b'\0\0' + ip[12:]
            ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
            out.append((t + 2000, fr[:14] + ip + fr[34:]))
        msgs += 2
    out.sort(key=lambda x: x[0])
    ctx.info.update(calls=msgs // 2, foreign_msgs=msgs)
    return iter(out)


def rebody(frames, fix):
    """The one-datagram IPv4 UDP frames of forged() with their SIP text
    passed through fix(bytes) -> bytes, the UDP length redone (checksum
    0) and the IPv4 header rebuilt."""
    for fr in frames:
        ip = fr[14:]
        hl = (ip[0] & 15) * 4
        body = fix(ip[hl + 8:])
        u = ip[hl:hl + 4] + struct.pack('!HH', 8 + len(body), 0) + body
        yield ether(ipv4(ip[12:16], ip[16:20], 17, u))


def dialog_targets(ctx, tags, cseqs, media=False):
    """The answered legit IPv4 calls an in-dialog forgery can name: both
    tags (tags: legit_tags) and the INVITE's CSeq (cseqs:
    legit_invite_cseq) known; media: at least two streams.  Shuffled with
    ctx.rng."""
    calls = [r for r in ctx.truth if r.get('disposition') == 'answered'
             and r.get('answer_time') and r.get('end_time') and ':' not in r['dst_ip']
             and ':' not in r['src_ip'] and tags.get(r['call_id'], [None])[0]
             and tags[r['call_id']][1] and r['call_id'] in cseqs
             and (not media or len(r.get('streams') or []) >= 2)]
    ctx.rng.shuffle(calls)
    return calls


def a_bye_stale_cseq(ctx, n):
    """For n answered legit IPv4 calls: halfway through, a BYE from the
    caller's own address (spoofed, or the caller itself hiding the rest of
    its call from the sensor) with the dialog's Call-ID and tags but a
    CSeq that is not above the INVITE's, and the PBX's 500 to it (RFC 3261
    12.2.2: a request out of order is refused; the call goes on).  The
    legit records must not change: each call ends at its real BYE."""
    tags = legit_tags(ctx)
    cseqs = legit_invite_cseq(ctx)
    calls = dialog_targets(ctx, tags, cseqs)
    out, msgs = [], 0
    for i, r in enumerate(calls[:n]):
        cid, (ft, tt) = r['call_id'], tags[r['call_id']]
        a, e = iso_us(r['answer_time']), iso_us(r['end_time'])
        t = a + (e - a) // 2
        if e - t < 10000:
            continue
        cs = '%d BYE' % (cseqs[cid] - (i % 2))
        src = bytes(int(x) for x in r['src_ip'].split('.'))
        dst = bytes(int(x) for x in r['dst_ip'].split('.'))
        for fr in forged(src, r['dst_ip'], cid, 'BYE', cs, ft, tt):
            out.append((t, fr))
        for fr in forged(dst, r['src_ip'], cid, 'SIP/2.0 500 Server Internal Error', cs, ft,
                         tt, contact=False):
            out.append((t + 2000, fr))
        msgs += 2
    out.sort(key=lambda x: x[0])
    ctx.info.update(calls=msgs // 2, forged_msgs=msgs)
    return iter(out)


def a_media_claim(ctx, n):
    """For n answered legit IPv4 calls from a carrier to the PBX: 1 ms after
    the call's INVITE (whose SDP offer the attacker sniffed), the attacker
    places a call of its own to the PBX whose SDP offer names the legit
    caller's media address and port as its own; the PBX answers it (SDP on
    a port of its own).  The PBX's RTP to the legit caller then starts:
    the legit records must keep that stream (it is not the attacker's
    call's, whose PBX media goes to another port)."""
    rng = ctx.rng
    calls = []
    for r in ctx.truth:
        if r.get('disposition') != 'answered' or r.get('transport') != 'udp' \
                or ':' in r['dst_ip'] or ':' in r['src_ip'] or r['src_ip'] == PBX_S \
                or not r.get('start_time'):
            continue
        for st in r.get('streams') or []:
            if st['src'].startswith(PBX_S + ':') and ':' not in ep(st['dst'])[0]:
                calls.append((r, ep(st['dst'])))
                break
    rng.shuffle(calls)
    gens = []
    for i, (r, (cip, cport)) in enumerate(calls[:n]):
        src = foreign(54000 + i)
        d = Dialog(rng, src, 5060, 'claim-%x@%s' % (i, ip_s(src)))
        t = iso_us(r['start_time']) + 1000
        out = [(t, f) for f in d.invite(sdp(cip, cport))]
        out += [(t + 2000, f) for f in d.ok(sdp(PBX_S, 41000 + 2 * i))]
        gens.append(out)
    ctx.info.update(calls=len(gens))
    return heapq.merge(*gens, key=lambda x: x[0])


def a_bye_malformed(ctx, n):
    """For n answered legit IPv4 calls: halfway through, a BYE from the
    caller's own address (spoofed) with the dialog's Call-ID, tags and next
    CSeq, written so that its receiver cannot act on it, in turn: without
    any Via (RFC 3261 8.1.1.7: nobody can answer it; no response), with a
    CSeq that names INVITE (8.1.1.5: the method must match; 400), or with a
    NUL inside its P-Asserted-Identity (refused by libosip2, taken by the
    pre-scan before; 400).  The call goes on: the legit records must not
    change."""
    tags = legit_tags(ctx)
    cseqs = legit_invite_cseq(ctx)
    calls = dialog_targets(ctx, tags, cseqs)
    out, msgs = [], 0

    def rewrite(frames, kind):
        def fix(body):
            if kind == 0:
                return re.sub(rb'Via: [^\r]*\r\n', b'', body)
            if kind == 2:
                return body.replace(b'Max-Forwards: 70\r\n', b'Max-Forwards: 70\r\n'
                                    b'P-Asserted-Identity: <sip:+19005550199@192.0.2.66>\0x\r\n')
            return body
        return rebody(frames, fix)
    for i, r in enumerate(calls[:n]):
        cid, (ft, tt) = r['call_id'], tags[r['call_id']]
        a, e = iso_us(r['answer_time']), iso_us(r['end_time'])
        t = a + (e - a) // 2
        if e - t < 10000:
            continue
        kind = msgs % 3
        cs = '%d %s' % (cseqs[cid] + 50, 'INVITE' if kind == 1 else 'BYE')
        src = bytes(int(x) for x in r['src_ip'].split('.'))
        dst = bytes(int(x) for x in r['dst_ip'].split('.'))
        for fr in rewrite(forged(src, r['dst_ip'], cid, 'BYE', cs, ft, tt), kind):
            out.append((t, fr))
        if kind != 0:
            for fr in forged(dst, r['src_ip'], cid, 'SIP/2.0 400 Bad Request', cs, ft, tt,
                             contact=False):
                out.append((t + 2000, fr))
        msgs += 1
    out.sort(key=lambda x: x[0])
    ctx.info.update(calls=msgs)
    return iter(out)


def a_no_branch(ctx, n):
    """For n ringing legit IPv4 UDP calls, halfway between the ringing and
    the answer (or the end): a message of the INVITE's transaction with
    the Call-ID, the caller's From tag and the INVITE's CSeq, but a top Via
    without a branch, in turn: from the callee's address a 486, a 302, a
    200 with SDP (then RTP from that SDP's address) or a 183 with SDP; from
    the caller's address a CANCEL, answered 481.  The legit INVITE's branch
    has RFC 3261's magic cookie, so nobody matches these to it (17.1.3,
    17.2.3): the caller drops the responses, the PBX refuses the CANCEL.
    The legit records must not change (before: the call took the forged
    outcome, 20 of 20)."""
    tags = legit_tags(ctx)
    cseqs = legit_invite_cseq(ctx, last=True)
    calls = [r for r in ctx.truth if r.get('ringing_time') and r.get('end_time')
             and ':' not in r['src_ip'] and ':' not in r['dst_ip'] and r['transport'] == 'udp'
             and r.get('vlan') is None and tags.get(r['call_id'], [None])[0]
             and r['call_id'] in cseqs
             and iso_us(r.get('answer_time') or r['end_time']) - iso_us(r['ringing_time']) > 300000]
    ctx.rng.shuffle(calls)
    out = []
    for i, r in enumerate(calls[:n]):
        cid, ft, inv = r['call_id'], tags[r['call_id']][0], cseqs[r['call_id']]
        ring, stop = iso_us(r['ringing_time']), iso_us(r.get('answer_time') or r['end_time'])
        t = (ring + stop) // 2
        src, dst = r['src_ip'], r['dst_ip']
        a, b = bytes(int(x) for x in src.split('.')), bytes(int(x) for x in dst.split('.'))
        kind = i % 5
        media = foreign(62000 + i)
        if kind == 4:
            h = ['Via: SIP/2.0/UDP %s:5060' % src, 'Max-Forwards: 70',
                 'From: <sip:caller@%s>;tag=%s' % (dst, ft), 'To: <sip:callee@%s>' % dst,
                 'Call-ID: ' + cid, 'CSeq: %d CANCEL' % inv]
            out += [(t, f) for f in udp(a, b, 5060, 5060,
                                        sip('CANCEL sip:callee@%s SIP/2.0' % dst, h))]
            h = h[:1] + h[2:3] + ['To: <sip:callee@%s>;tag=nb%d' % (dst, i)] + h[4:]
            out += [(t + 2000, f) for f in udp(b, a, 5060, 5060,
                                               sip('SIP/2.0 481 Call/Transaction Does Not Exist',
                                                   h))]
            continue
        status = ('486 Busy Here', '302 Moved Temporarily', '200 OK',
                  '183 Session Progress')[kind]
        body = sdp(ip_s(media), 40000 + 2 * i) if kind >= 2 else ''
        h = ['Via: SIP/2.0/UDP %s:5060' % src, 'From: <sip:caller@%s>;tag=%s' % (dst, ft),
             'To: <sip:callee@%s>;tag=nb%d' % (dst, i), 'Call-ID: ' + cid,
             'CSeq: %d INVITE' % inv, 'Contact: <sip:+19005550199@%s:5060>' % ip_s(media)]
        if body:
            h.append('Content-Type: application/sdp')
        out += [(t, f) for f in udp(b, a, 5060, 5060, sip('SIP/2.0 ' + status, h, body))]
        pbx = [x for x in r.get('streams') or [] if x['dst'].startswith(PBX_S + ':')]
        if body and pbx:
            dport = int(pbx[0]['dst'].rsplit(':', 1)[1])
            for j in range(25):
                out.append((t + 20000 * (j + 1), udp(media, PBX, 40000 + 2 * i, dport,
                                                     rtp(0, j, 160 * j, 0x0B0B0000 + i,
                                                         b'\x00' * 160))[0]))
    ctx.info.update(calls=len(calls[:n]))
    out.sort(key=lambda x: x[0])
    return iter(out)


def a_bye_long_clen(ctx, n):
    """For n answered legit IPv4 calls: halfway through, a BYE from the
    caller's own address (spoofed) with the dialog's Call-ID, tags and next
    CSeq, whose Content-Length claims 900 bytes of body in a datagram that
    ends with its header section; the PBX refuses it with 400 (RFC 3261
    18.3: a UDP message shorter than its Content-Length is an error, a
    request gets 400, a response is discarded).  The call goes on: the
    legit records must not change."""
    tags = legit_tags(ctx)
    cseqs = legit_invite_cseq(ctx)
    calls = dialog_targets(ctx, tags, cseqs)
    out, msgs = [], 0

    def short(frames):
        return rebody(frames, lambda body: body.replace(b'Content-Length: 0\r\n',
                                                         b'Content-Length: 900\r\n'))
    for i, r in enumerate(calls[:n]):
        cid, (ft, tt) = r['call_id'], tags[r['call_id']]
        a, e = iso_us(r['answer_time']), iso_us(r['end_time'])
        t = a + (e - a) // 2
        if e - t < 10000:
            continue
        cs = '%d BYE' % (cseqs[cid] + 50)
        src = bytes(int(x) for x in r['src_ip'].split('.'))
        dst = bytes(int(x) for x in r['dst_ip'].split('.'))
        for fr in short(forged(src, r['dst_ip'], cid, 'BYE', cs, ft, tt)):
            out.append((t, fr))
        for fr in forged(dst, r['src_ip'], cid, 'SIP/2.0 400 Bad Request', cs, ft, tt,
                         contact=False):
            out.append((t + 2000, fr))
        msgs += 1
    out.sort(key=lambda x: x[0])
    ctx.info.update(calls=msgs, short_msgs=msgs)
    return iter(out)


def legit_tcp_frames(ctx):
    """(time_us, frame, tcp_offset, payload_len, seq, ack) of every TCP
    frame of the legit capture (Ethernet, optional 802.1Q, IPv4 or IPv6
    without extension headers)."""
    out = []
    for ts, fr in read_pcap(ctx.legit):
        off, et = 14, struct.unpack('!H', fr[12:14])[0]
        while et == 0x8100 and len(fr) >= off + 4:
            et = struct.unpack('!H', fr[off + 2:off + 4])[0]
            off += 4
        if et == 0x0800 and len(fr) >= off + 20 and fr[off + 9] == 6:
            l4 = off + (fr[off] & 15) * 4
            end = off + struct.unpack('!H', fr[off + 2:off + 4])[0]
        elif et == 0x86DD and len(fr) >= off + 40 and fr[off + 6] == 6:
            l4 = off + 40
            end = l4 + struct.unpack('!H', fr[off + 4:off + 6])[0]
        else:
            continue
        if len(fr) < l4 + 20:
            continue
        seq, ack = struct.unpack('!II', fr[l4 + 4:l4 + 12])
        plen = end - l4 - (fr[l4 + 12] >> 4) * 4
        out.append((ts, fr, l4, plen, seq, ack))
    return out


def respoof(fr, l4, seq, ack, flags, data):
    """fr's L2/L3 headers (the same 4-tuple) around a new TCP header and
    data: IP lengths and the IPv4 header checksum redone."""
    ip = 14
    while struct.unpack('!H', fr[ip - 2:ip])[0] == 0x8100:
        ip += 4
    tcph = struct.pack('!HHIIBBHHH', *struct.unpack('!HH', fr[l4:l4 + 4]), seq & 0xFFFFFFFF,
                       ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    hdr = bytearray(fr[:l4])
    if hdr[ip] >> 4 == 4:
        struct.pack_into('!H', hdr, ip + 2, l4 - ip + 20 + len(data))
        struct.pack_into('!H', hdr, ip + 10, 0)
        struct.pack_into('!H', hdr, ip + 10, csum(bytes(hdr[ip:l4])))
    else:
        struct.pack_into('!H', hdr, ip + 4, 20 + len(data))
    return bytes(hdr) + tcph + data


def a_tcp_next_byte(ctx, n):
    """For n legit SIP/TCP calls ended by a BYE in one segment: a copy of
    that segment (the same 4-tuple, sequence number and bytes) sent early,
    just after the segment before it in its direction (at least 200 ms
    before the real BYE), without the ACK flag (even calls) or with an ACK
    of 1 MiB the other side never sent (odd ones).  A TCP stack drops both
    (RFC 9293 3.10.7.4, RFC 5961 5.2), so the PBX ends the call at the real
    BYE; a reassembler that took the copy ended the call early and dropped
    the real BYE as a retransmission (3 of 3 TCP calls).  An attacker who
    sniffs the connection can send this; the legit records must not
    change."""
    frames = legit_tcp_frames(ctx)
    byes = {}
    for k, (ts, fr, l4, plen, seq, ack) in enumerate(frames):
        data = fr[len(fr) - plen:] if plen > 0 else b''
        if data.startswith(b'BYE sip:'):
            m = re.search(rb'\r\n(?:Call-ID|i): *([^\r\n]+)', data)
            if m and m.group(1) not in byes:
                byes[m.group(1)] = k
    out, used = [], 0
    for cid, k in sorted(byes.items(), key=lambda x: x[1]):
        if used >= n:
            break
        ts, fr, l4, plen, seq, ack = frames[k]

        def four(f, o):   # the frame's IP addresses and TCP ports
            e, et = 14, struct.unpack('!H', f[12:14])[0]
            while et == 0x8100:
                et, e = struct.unpack('!H', f[e + 2:e + 4])[0], e + 4
            return f[e + 12:e + 20] + f[o:o + 4] if et == 0x0800 else \
                f[e + 8:e + 40] + f[o:o + 4]
        prev = None
        for j in range(k - 1, -1, -1):
            pts, pfr, pl4, pplen, pseq, _ = frames[j]
            if pplen > 0 and four(pfr, pl4) == four(fr, l4) and \
                    (pseq + pplen) & 0xFFFFFFFF == seq:
                prev = pts
                break
        if prev is None or ts - prev < 400000:
            continue
        data = fr[len(fr) - plen:]
        if used % 2 == 0:
            forged = respoof(fr, l4, seq, 0, 0x08, data)              # PSH, no ACK
        else:
            forged = respoof(fr, l4, seq, ack + (1 << 20), 0x18, data)  # ACK of unsent bytes
        out.append((max(prev + 200000, ts - 200000 - (ts - prev) // 2), forged))
        used += 1
    ctx.info.update(calls=used)
    out.sort(key=lambda x: x[0])
    return iter(out)


def a_tcp_spoof(ctx, n):
    """A blind attacker who knows a legit SIP/TCP connection's addresses and
    ports (not its sequence numbers) sends, in either direction, segments
    with guessed sequence and acknowledgement numbers: RST, FIN, SYN, and
    whole SIP messages (an INVITE, a BYE with the call's Call-ID, a 200),
    some far from the stream, some within a window of it.  n segments are
    spread after the legit data segments.  None of them may end, cut or
    blind the connection: every legit call stays exact."""
    rng = ctx.rng
    frames = [f for f in legit_tcp_frames(ctx) if f[3] > 0]
    if not frames:
        return iter(())
    cid_re = re.compile(rb'\r\n(?:Call-ID|i)\s*:\s*([^\r\n]+)', re.I)
    out = []
    for k in range(n):
        ts, fr, l4, plen, seq, ack = frames[k % len(frames)]
        kind = k % 6
        near = (k // 6) % 2 == 1
        s = (seq + plen + rng.randrange(1, 60000)) if near else rng.getrandbits(32)
        a = rng.getrandbits(32)
        m = cid_re.search(fr)
        cid = m.group(1).decode('utf-8', 'replace') if m else 'spoof-%d' % k
        if kind == 0:
            f = respoof(fr, l4, s, a, 0x14, b'')                  # RST ACK
        elif kind == 1:
            f = respoof(fr, l4, s, 0, 0x02, b'')                  # SYN
        elif kind == 2:
            f = respoof(fr, l4, s, a, 0x11, b'')                  # FIN ACK
        else:
            first = ('INVITE sip:+14155550199@%s SIP/2.0' % PBX_S, 'BYE sip:x@%s SIP/2.0' % PBX_S,
                     'SIP/2.0 200 OK')[kind - 3]
            method = ('INVITE', 'BYE', 'INVITE')[kind - 3]
            cidk = 'tcp-spoof-%d' % k if kind == 3 else cid
            msg = sip(first, ['Via: SIP/2.0/TCP 100.64.0.1:5060;branch=z9hG4bKspoof%d' % k,
                              'From: <sip:+14155550123@%s>;tag=spoof%d' % (PBX_S, k),
                              'To: <sip:+14155550199@%s>;tag=spoofto%d' % (PBX_S, k),
                              'Call-ID: ' + cidk, 'CSeq: %d %s' % (900 + k, method)])
            f = respoof(fr, l4, s, a, 0x18, msg)
        out.append((ts + 1 + k % 7, f))
    out.sort(key=lambda x: x[0])
    syns = sum(1 for k in range(n) if k % 6 == 1)
    ctx.info.update(segments=len(out), syns=syns, refusable=len(out) - syns)
    return iter(out)


def a_tcp_resplit(ctx, n):
    """Before each of the first n data segments of the legit SIP/TCP
    connections, its bytes again (from the second byte on, never the
    first) as 1-40 byte pieces that overlap by up to 8 bytes with the same
    content, shuffled, a third sent twice, one microsecond before the
    segment: a retransmission split otherwise, seen first.  A piece of a
    request line from inside its method ("ITE sip:... SIP/2.0" of an
    INVITE, always among them) looks like an extension method's request:
    a stream resynchronised there took the INVITE as an "ITE" request and
    lost the call's start.  Every legit call stays exact: the pieces hold
    no message start, so nothing goes to the framer before the segment."""
    rng = ctx.rng
    frames = [f for f in legit_tcp_frames(ctx) if f[3] > 1]
    out = []
    for ts, fr, l4, plen, seq, ack in frames[:n]:
        thl = (fr[l4 + 12] >> 4) * 4
        data = fr[l4 + thl:l4 + thl + plen]
        pieces = []
        if data[:1].isalpha() and b' ' in data[:16]:
            sp = data.index(b' ')
            pieces.append((min(3, sp - 1) if sp > 1 else 1, min(len(data), 46)))
        off = 1
        while off < len(data):
            end = min(len(data), off + rng.randrange(1, 41))
            pieces.append((off, end))
            off = max(off + 1, end - rng.randrange(0, 9))
        pieces += [rng.choice(pieces) for _ in range(len(pieces) // 3)]
        rng.shuffle(pieces)
        for a, e in pieces:
            if a < e:
                out.append((ts - 1, respoof(fr, l4, seq + a, ack, 0x18, data[a:e])))
    ctx.info.update(segments=len(frames[:n]), pieces=len(out))
    out.sort(key=lambda x: x[0])
    return iter(out)


def a_cancel_wrong(ctx, n):
    """For n legit IPv4 calls that ring before their final response: while
    it rings, a CANCEL from the caller's own address (spoofed: on the call's
    signalling path) with the call's Call-ID and its INVITE's CSeq but
    not of its INVITE transaction (RFC 3261 9.1: a CANCEL carries the
    INVITE's top Via branch and From tag; a blind spoofer knows neither):
    the caller's From tag and a branch of its own, or both its own; and the
    PBX's 481 to it (9.2: no matching transaction).  The legit records must
    not change: each call is answered, or fails, as it did."""
    tags = legit_tags(ctx)
    cseqs = legit_invite_cseq(ctx)
    calls = [r for r in ctx.truth if r.get('ringing_time') and r.get('end_time')
             and ':' not in r['dst_ip'] and ':' not in r['src_ip']
             and tags.get(r['call_id'], [None])[0] and r['call_id'] in cseqs]
    ctx.rng.shuffle(calls)
    out, msgs = [], 0
    for i, r in enumerate(calls[:n]):
        cid, ft = r['call_id'], tags[r['call_id']][0]
        g = iso_us(r['ringing_time'])
        e = iso_us(r.get('answer_time') or r['end_time'])
        if e - g < 10000:
            continue
        t = (g + e) // 2
        f = ft if i % 2 == 0 else 'evil%x' % i
        cs = '%d CANCEL' % cseqs[cid]
        src = bytes(int(x) for x in r['src_ip'].split('.'))
        dst = bytes(int(x) for x in r['dst_ip'].split('.'))
        for fr in forged(src, r['dst_ip'], cid, 'CANCEL', cs, f, None, contact=False):
            out.append((t, fr))
        for fr in forged(dst, r['src_ip'], cid, 'SIP/2.0 481 Call/Transaction Does Not Exist',
                         cs, f, 'x%x' % i, contact=False):
            out.append((t + 2000, fr))
        msgs += 2
    out.sort(key=lambda x: x[0])
    ctx.info.update(calls=msgs // 2, forged_msgs=msgs)
    return iter(out)


def a_ack_spoof(ctx, n):
    """For n legit IPv4 calls that ring before their final response: while
    it rings, an ACK from the caller's own address (spoofed: on the call's
    signalling path) with the call's Call-ID, the caller's From tag, the
    INVITE's CSeq number and a Via branch of its own (RFC 3261 17.1.1.3,
    13.2.2.4: an ACK of a 2xx), to which no response comes (the PBX drops an
    ACK of no transaction or dialog).  The legit records must not change:
    each call is answered, fails or is cancelled as it was, at its time."""
    tags = legit_tags(ctx)
    cseqs = legit_invite_cseq(ctx)
    calls = [r for r in ctx.truth if r.get('ringing_time') and r.get('end_time')
             and ':' not in r['dst_ip'] and ':' not in r['src_ip']
             and tags.get(r['call_id'], [None])[0] and r['call_id'] in cseqs]
    ctx.rng.shuffle(calls)
    out, msgs = [], 0
    for i, r in enumerate(calls[:n]):
        cid, (ft, tt) = r['call_id'], tags[r['call_id']]
        g = iso_us(r['ringing_time'])
        e = iso_us(r.get('answer_time') or r['end_time'])
        if e - g < 10000:
            continue
        t = (g + e) // 2
        cs = '%d ACK' % cseqs[cid]
        for fr in forged(bytes(int(x) for x in r['src_ip'].split('.')), r['dst_ip'], cid, 'ACK',
                         cs, ft, tt or 'x%x' % i, contact=False):
            out.append((t, fr))
        msgs += 1
    out.sort(key=lambda x: x[0])
    ctx.info.update(calls=msgs, forged_msgs=msgs)
    return iter(out)


def a_resp_unseen(ctx, n):
    """For n legit IPv4 calls: responses to requests nobody sent, from the
    call's own parties' addresses (spoofed: on its signalling path) with
    the dialog's Call-ID and tags: halfway through an answered call, a 200
    to a BYE (from the callee's address, as if the caller had hung up, or
    from the caller's address, as if the callee had); while a call rings, a
    200 to a CANCEL from the callee's address.  In a two-way capture the
    request would have been seen first.  The legit records must not
    change."""
    tags = legit_tags(ctx)
    cseqs = legit_invite_cseq(ctx, last=True)
    calls = [r for r in ctx.truth if r.get('end_time') and ':' not in r['dst_ip']
             and ':' not in r['src_ip'] and tags.get(r['call_id'], [None])[0]
             and r['call_id'] in cseqs]
    ctx.rng.shuffle(calls)
    out, msgs = [], 0
    for i, r in enumerate(calls[:n]):
        cid, (ft, tt) = r['call_id'], tags[r['call_id']]
        caller = bytes(int(x) for x in r['src_ip'].split('.'))
        callee = bytes(int(x) for x in r['dst_ip'].split('.'))
        if r.get('answer_time') and tt:
            a, e = iso_us(r['answer_time']), iso_us(r['end_time'])
            t = a + (e - a) // 2
            if i % 2 == 0:
                frs = forged(callee, r['src_ip'], cid, 'SIP/2.0 200 OK', '%d BYE' % (9301 + i),
                             ft, tt, contact=False)
            else:
                frs = forged(caller, r['dst_ip'], cid, 'SIP/2.0 200 OK', '%d BYE' % (9301 + i),
                             tt, ft, contact=False)
        elif r.get('ringing_time'):
            g = iso_us(r['ringing_time'])
            e = iso_us(r.get('answer_time') or r['end_time'])
            t = (g + e) // 2
            frs = forged(callee, r['src_ip'], cid, 'SIP/2.0 200 OK', '%d CANCEL' % cseqs[cid],
                         ft, None, contact=False)
        else:
            continue
        if e - t < 10000:
            continue
        for fr in frs:
            out.append((t, fr))
        msgs += 1
    out.sort(key=lambda x: x[0])
    ctx.info.update(calls=msgs, forged_msgs=msgs)
    return iter(out)


def a_inv_resp_spoof(ctx, n):
    """For n legit IPv4 calls that ring before their final response: while
    it rings, a response to its INVITE from the callee's own address
    (spoofed: on the call's signalling path) with the Call-ID, the caller's
    From tag and the INVITE's CSeq, but a Via branch of its own (RFC 3261
    17.1.3: the caller's transaction does not take it): in turn a 486, a
    200 (no SDP) and a 603.  The legit records must not change."""
    tags = legit_tags(ctx)
    cseqs = legit_invite_cseq(ctx, last=True)
    calls = [r for r in ctx.truth if r.get('ringing_time') and r.get('end_time')
             and ':' not in r['dst_ip'] and ':' not in r['src_ip']
             and tags.get(r['call_id'], [None])[0] and r['call_id'] in cseqs]
    ctx.rng.shuffle(calls)
    out, msgs = [], 0
    for i, r in enumerate(calls[:n]):
        cid, ft = r['call_id'], tags[r['call_id']][0]
        g = iso_us(r['ringing_time'])
        e = iso_us(r.get('answer_time') or r['end_time'])
        if e - g < 10000:
            continue
        t = (g + e) // 2
        first = ('SIP/2.0 486 Busy Here', 'SIP/2.0 200 OK', 'SIP/2.0 603 Decline')[i % 3]
        for fr in forged(bytes(int(x) for x in r['dst_ip'].split('.')), r['src_ip'], cid, first,
                         '%d INVITE' % cseqs[cid], ft, 'evil%x' % i, contact=False):
            out.append((t, fr))
        msgs += 1
    out.sort(key=lambda x: x[0])
    ctx.info.update(calls=msgs, forged_msgs=msgs)
    return iter(out)


def offers_refused(ctx, calls, tags, media_base, port_base, to_tag, cseq, status):
    """For each call r (the i-th) answered at least 400 ms: a quarter into
    its talk, a re-INVITE (in turn an UPDATE) from its caller's address with
    its Call-ID, the caller's From tag (tags: legit_tags), To tag
    to_tag(r, i) and CSeq number cseq(r, i), offering the attacker's media
    (foreign(media_base + i), port port_base + 2 i); 2 ms later the
    callee's refusal with status line status(i); then the attacker's RTP
    (attacker_rtp).  Info: calls, forged_msgs, rtp."""
    gens, msgs, rtps = [], 0, 0
    for i, r in enumerate(calls):
        a, b = iso_us(r['answer_time']), iso_us(r['end_time'])
        if b - a < 400000:
            continue
        cid, ft, tt = r['call_id'], tags[r['call_id']][0], to_tag(r, i)
        caller = bytes(int(x) for x in r['src_ip'].split('.'))
        callee = bytes(int(x) for x in r['dst_ip'].split('.'))
        media = foreign(media_base + i)
        mport = port_base + 2 * i
        t = a + (b - a) // 4
        meth = ('INVITE', 'UPDATE')[i % 2]
        cs = '%d %s' % (cseq(r, i), meth)
        out = [(t, f) for f in forged(caller, r['dst_ip'], cid, meth, cs, ft, tt,
                                     sdp(ip_s(media), mport))]
        out += [(t + 2000, f) for f in forged(callee, r['src_ip'], cid, 'SIP/2.0 ' + status(i),
                                              cs, ft, tt, contact=False)]
        msgs += 1
        pk, _ = attacker_rtp(ctx.rng, r, media, mport, t, b)
        out += pk
        rtps += len(pk)
        out.sort(key=lambda x: x[0])
        gens.append(out)
    ctx.info.update(calls=len(gens), forged_msgs=msgs, rtp=rtps)
    return heapq.merge(*gens, key=lambda x: x[0])


def a_reinvite_refused(ctx, n):
    """For n answered legit IPv4 calls: halfway through, a re-INVITE (in
    turn an UPDATE) from the caller's own address (spoofed: on the call's
    signalling path) with the Call-ID, the caller's From tag and a To tag
    that is not the dialog's, offering the attacker's own media address;
    the PBX refuses it with 481 (RFC 3261 12.2.2).  Then RTP from that
    media address to both parties' media ports.  The legit records must
    not change (no stream of the attacker's)."""
    rng = ctx.rng
    tags = legit_tags(ctx)
    calls = [r for r in ctx.truth if r.get('disposition') == 'answered'
             and r.get('answer_time') and r.get('end_time') and ':' not in r['dst_ip']
             and ':' not in r['src_ip'] and len(r.get('streams') or []) >= 2
             and tags.get(r['call_id'], [None])[0]]
    rng.shuffle(calls)
    return offers_refused(ctx, calls[:n], tags, 58000, 32000,
                          lambda r, i: 'wrong%x' % i, lambda r, i: 9501 + i,
                          lambda i: '481 Call/Transaction Does Not Exist')


def a_offer_refused(ctx, n):
    """For n answered legit IPv4 calls: halfway through, a re-INVITE (in
    turn an UPDATE) from the caller's own address (spoofed: on the call's
    signalling path) with the dialog's Call-ID and both tags, a CSeq above
    the dialog's, offering the attacker's own media address, and written so
    that the PBX refuses it: an unknown Require (420), a codec it cannot
    take (488), an UPDATE out of order (500), in turn.  RFC 3264 8: a
    refused offer leaves the media as it was.  Then RTP from that media
    address to both parties' media ports.  The legit records must not
    change (before: the attacker's RTP became a stream of each call)."""
    tags = legit_tags(ctx)
    cseqs = legit_invite_cseq(ctx, last=True)
    calls = dialog_targets(ctx, tags, cseqs, media=True)
    return offers_refused(ctx, calls[:n], tags, 57000, 34000,
                          lambda r, i: tags[r['call_id']][1],
                          lambda r, i: cseqs[r['call_id']] + 40 + i,
                          lambda i: ('420 Bad Extension', '488 Not Acceptable Here',
                                     '500 Server Internal Error')[i % 3])


def a_answer_unasked(ctx, n):
    """For n answered legit IPv4 calls: halfway through, a 200 with SDP to a
    re-INVITE (in turn an UPDATE) nobody sent, from the callee's own
    address (spoofed: on the call's signalling path) with the dialog's
    Call-ID and tags, answering with the attacker's media address; then RTP
    from that address to both parties' media ports.  In a two-way capture
    the request would have been seen first.  The legit records must not
    change (no stream of the attacker's)."""
    rng = ctx.rng
    tags = legit_tags(ctx)
    calls = [r for r in ctx.truth if r.get('disposition') == 'answered'
             and r.get('answer_time') and r.get('end_time') and ':' not in r['dst_ip']
             and ':' not in r['src_ip'] and len(r.get('streams') or []) >= 2
             and tags.get(r['call_id'], [None])[0] and tags[r['call_id']][1]]
    rng.shuffle(calls)
    gens, msgs, rtps = [], 0, 0
    for i, r in enumerate(calls[:n]):
        a, b = iso_us(r['answer_time']), iso_us(r['end_time'])
        if b - a < 400000:
            continue
        cid, (ft, tt) = r['call_id'], tags[r['call_id']]
        callee = bytes(int(x) for x in r['dst_ip'].split('.'))
        media = foreign(59000 + i)
        mport = 34000 + 2 * i
        t = a + (b - a) // 4
        cs = '%d %s' % (9601 + i, ('INVITE', 'UPDATE')[i % 2])
        out = [(t, f) for f in forged(callee, r['src_ip'], cid, 'SIP/2.0 200 OK', cs, ft, tt,
                                     sdp(ip_s(media), mport))]
        msgs += 1
        pk, _ = attacker_rtp(rng, r, media, mport, t, b)
        out += pk
        rtps += len(pk)
        out.sort(key=lambda x: x[0])
        gens.append(out)
    ctx.info.update(calls=len(gens), forged_msgs=msgs, rtp=rtps)
    return heapq.merge(*gens, key=lambda x: x[0])


# CPU attacks with a harmless twin (mix --control): the same number of
# packets and about the same bytes and records, without what makes them
# costly (colliding keys, header count, short lines, disorder).
def a_indialog_flood(ctx, n):
    """In-dialog requests (To tag set; an SDP offer on re-INVITE and
    UPDATE) with unique Call-IDs over the first 40 % of the legit capture:
    each could be a call already in progress when the capture started, so
    it may open one, but none is ever answered: each must be dropped
    unrecorded (calls_partial_discarded), none pushing a real call out."""
    rng = ctx.rng
    meths = ('BYE', 'INVITE', 'ACK', 'UPDATE', 'INFO', 'CANCEL', 'PRACK')
    t1 = ctx.t0 + max(US, (ctx.t1 - ctx.t0) * 2 // 5)
    for i, t in enumerate(spread(n, ctx.t0, t1)):
        src = foreign(i % 60000 + 1)
        d = Dialog(rng, src, 5060, 'indlg-%d-%x@%s' % (i, rng.getrandbits(32), ip_s(src)))
        m = meths[i % len(meths)]
        body = sdp(ip_s(src), 20000 + 2 * (i % 20000)) if m in ('INVITE', 'UPDATE') else ''
        for f in d.request(m, body):
            yield t, f


def a_ood_flood(ctx, n):
    """Requests outside any dialog (no To tag), unique Call-IDs, each
    answered 200 by the PBX (with a To tag of its own), over the first 40 %
    of the legit capture.  An INFO, REFER, BYE or UPDATE could pass for a
    call in progress, and its 200 for the second message that proves it:
    no record may come of them (a scanner's INFO is not an answered call)."""
    rng = ctx.rng
    meths = ('INFO', 'REFER', 'BYE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'MESSAGE', 'PUBLISH')
    t1 = ctx.t0 + max(US, (ctx.t1 - ctx.t0) * 2 // 5)
    for i, t in enumerate(spread(n, ctx.t0, t1)):
        src = foreign(i % 60000 + 1)
        d = Dialog(rng, src, 5060, 'ood-%d-%x@%s' % (i, rng.getrandbits(32), ip_s(src)))
        m = meths[i % len(meths)]
        via = d.via()
        h = [via, 'Max-Forwards: 70', 'From: ' + d.frm, 'To: ' + d.to, 'Call-ID: ' + d.cid,
             'CSeq: 1 %s' % m, 'Contact: <sip:attacker@%s:5060>' % ip_s(src),
             'Event: presence', 'Refer-To: <sip:100@%s>' % PBX_S, 'Content-Type: text/plain']
        for f in udp(src, PBX, 5060, 5060,
                     sip('%s sip:+14155550100@%s SIP/2.0' % (m, PBX_S), h, 'scan')):
            yield t, f
        r = [via, 'From: ' + d.frm, 'To: ' + d.to + d.to_tag, 'Call-ID: ' + d.cid,
             'CSeq: 1 %s' % m]
        for f in udp(PBX, src, 5060, 5060, sip('SIP/2.0 200 OK', r)):
            yield t + 300, f


def rich_sdp(ip, port):
    """An SDP of audio (17 codecs) and video (6), with fmtp lines and 30 ICE
    candidates: what a softphone or WebRTC gateway may offer, at its most."""
    audio = [0, 8, 9, 18, 3, 4, 97, 98, 99, 100, 102, 103, 104, 105, 106, 107, 101]
    video = [96, 120, 121, 122, 123, 124]
    lines = ['v=0', 'o=- 1 1 IN IP4 %s' % ip, 's=-', 'c=IN IP4 %s' % ip, 't=0 0',
             'm=audio %d RTP/AVP %s' % (port, ' '.join(map(str, audio)))]
    for c in audio:
        lines += ['a=rtpmap:%d codec%d/8000' % (c, c),
                  'a=fmtp:%d mode=%d;maxplaybackrate=48000;useinbandfec=1' % (c, c)]
    lines.append('m=video %d RTP/AVP %s' % (port + 2, ' '.join(map(str, video))))
    for c in video:
        lines += ['a=rtpmap:%d H264/90000' % c,
                  'a=fmtp:%d profile-level-id=42e01f;packetization-mode=1' % c]
    lines += ['a=candidate:%d 1 udp 2130706431 %s %d typ host' % (k, ip, port + 10 + k)
              for k in range(30)]
    return '\r\n'.join(lines) + '\r\n'


def rich_calls(ctx, n, forked):
    """n attacker calls over the first 40 % of the legit capture, each an
    INVITE and a 200 OK with rich_sdp (and, forked, the INVITE copied to a
    second PBX address), never ACKed: the most state a call can hold."""
    rng = ctx.rng
    pbx2 = bytes([203, 0, 113, 11])
    t1 = ctx.t0 + max(US, (ctx.t1 - ctx.t0) * 2 // 5)
    for i, t in enumerate(spread(n, ctx.t0, t1)):
        src = foreign(i % 60000 + 1)
        cid = '%s-%d-%x@%s' % ('fork-flood' if forked else 'sdp-flood', i,
                               rng.getrandbits(32), ip_s(src))
        if forked:
            cid += '-' + 'f' * 100
        d = Dialog(rng, src, 5060, cid)
        offer = rich_sdp(ip_s(src), 20000 + 4 * (i % 5000))
        for f in d.invite(offer):
            yield t, f
        if forked:
            h = [d.inv_via, 'Max-Forwards: 69', 'From: ' + d.frm, 'To: ' + d.to,
                 'Call-ID: ' + d.cid, 'CSeq: 1 INVITE',
                 'Contact: <sip:attacker@%s:5060>' % ip_s(src), 'Content-Type: application/sdp']
            for f in udp(src, pbx2, 5060, 5060,
                         sip('INVITE sip:+14155550100@%s SIP/2.0' % PBX_S, h, offer)):
                yield t + 10, f
        for f in d.ok(rich_sdp(PBX_S, 40001 + 2 * (i % 2700))):
            yield t + 300, f


def a_sdp_flood(ctx, n):
    return rich_calls(ctx, n, False)


def a_fork_flood(ctx, n):
    return rich_calls(ctx, n, True)


def a_resp_flood(ctx, n):
    """Responses to INVITEs nobody sent (180, then 183 and 200 with an SDP
    answer naming PBX ports), unique Call-IDs, from the PBX's address over
    the first 40 % of the legit capture: no call, no record, no PBX port
    taken from a real call."""
    rng = ctx.rng
    t1 = ctx.t0 + max(US, (ctx.t1 - ctx.t0) * 2 // 5)
    for i, t in enumerate(spread(n, ctx.t0, t1)):
        src = foreign(i % 60000 + 1)
        d = Dialog(rng, src, 5060, 'resp-%d-%x@%s' % (i, rng.getrandbits(32), ip_s(src)))
        code = (180, 183, 200)[i % 3]
        body = sdp(PBX_S, 30000 + 2 * (i % 15000)) if code != 180 else ''
        h = [d.via(), 'From: ' + d.frm, 'To: ' + d.to + d.to_tag, 'Call-ID: ' + d.cid,
             'CSeq: 1 INVITE', 'Contact: <sip:pbx@%s:5060>' % PBX_S]
        if body:
            h.append('Content-Type: application/sdp')
        for f in udp(PBX, src, 5060, 5060, sip('SIP/2.0 %d Whatever' % code, h, body)):
            yield t, f


def a_many_m(ctx, n):
    """Answered attacker calls whose INVITE offers 400 audio m= lines (one
    SDP of about 8 KB, IP-fragmented), then 50 RTP packets from the PBX's
    answer port to 50 of the offered ports: what a call may announce and
    index is capped (8 m= lines a message, 32 endpoints a call), the rest
    is refused and counted; each call still gets its record."""
    rng = ctx.rng
    for i, t in enumerate(spread(n, ctx.t0, ctx.t1 - 5 * US)):
        src = foreign(i % 60000 + 1)
        d = Dialog(rng, src, 5060, 'many-m-%d@%s' % (i, ip_s(src)))
        ms = ['m=audio %d RTP/AVP 0' % (40000 + 2 * k) for k in range(400)]
        body = '\r\n'.join(['v=0', 'o=- 1 1 IN IP4 %s' % ip_s(src), 's=-',
                             'c=IN IP4 %s' % ip_s(src), 't=0 0'] + ms) + '\r\n'
        for f in d.invite(body):
            yield t, f
        port = 50000 + 2 * (i % 5000)
        for f in d.ok(sdp(PBX_S, port)):
            yield t + 1000, f
        for k in range(50):
            yield t + 2000 + 20 * k, udp(PBX, src, port, 40000 + 2 * k,
                                         rtp(0, k, 160 * k, 0x4d000000 + i, b'\xff' * 160))[0]


def a_tcp_conn_flood(ctx, n):
    """n SIP/TCP connections to the PBX, each a SYN and one segment: half
    of an INVITE header that never ends, or a whole header whose
    Content-Length claims 100 MB, then 1,000 bytes of it.  The
    reassembler's total budget bounds what is held; framing errors are
    counted, and nothing becomes a call."""
    for i, t in enumerate(spread(n, ctx.t0, ctx.t1)):
        src = foreign(i % 60000 + 1)
        sp = 1024 + (i // 60000) % 60000
        yield t, tcp(src, PBX, sp, 5060, 999, b'', 0x02)
        data = ('INVITE sip:+14155550100@%s SIP/2.0\r\nVia: SIP/2.0/TCP %s:%d;branch=z9hG4bK%x'
                '\r\nCall-ID: tcp-conn-%d\r\nCSeq: 1 INVITE\r\nContent-Length: 99999999\r\n\r\n'
                % (PBX_S, ip_s(src), sp, i, i)).encode()
        if i % 2:
            data = data[:len(data) // 2]
        yield t + 1, tcp(src, PBX, sp, 5060, 1000, data + b'x' * 1000)


def ipv6_frag(src, dst, ident, off, more, payload):
    """An Ethernet frame: IPv6 with a Fragment header (RFC 8200 section
    4.5) carrying payload at byte offset off of a UDP datagram."""
    fh = struct.pack('!BBHI', 17, 0, off | (1 if more else 0), ident & 0xFFFFFFFF)
    ip = struct.pack('!IHBB16s16s', 0x60000000, len(fh) + len(payload), 44, 64, src, dst)
    return ether(ip + fh + payload, 0x86DD)


PBX6 = bytes.fromhex('20010db8011300000000000000000010')


def a_frag_flood(ctx, n):
    """n IP fragments to the PBX's SIP port (UDP 5060) that never complete,
    each with an IP ID of its own: the first 1,480 bytes of a 60 KB INVITE
    (its UDP header and start line), a middle piece, the last piece of a
    60 KB datagram whose start never comes (the reassembler must size a
    60 KB buffer for it), and a piece that would end past 65,535 bytes;
    one in five over IPv6 (Fragment header).  4 in 5 come from 2,000
    sources, the rest each from its own.  The legit capture's own
    fragmented INVITEs (IPv4 and IPv6) must still be reassembled: the
    reassembler holds 4,096 datagrams and 16 MiB at most, the oldest
    evicted first."""
    rng = ctx.rng
    for i, t in enumerate(spread(n, ctx.t0, ctx.t1)):
        k = 1 + i % 2000 if i % 5 else 10000 + i
        kind = i % 4
        if kind == 0:
            head = ('INVITE sip:+14155550100@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5060;'
                    'branch=z9hG4bK%x\r\nCall-ID: frag-flood-%d\r\nCSeq: 1 INVITE\r\n'
                    'X-Pad: ' % (PBX_S, ip_s(foreign(k)), rng.getrandbits(40), i)).encode()
            payload = struct.pack('!HHHH', 5060, 5060, 60008, 0) + head
            payload += b'a' * (1480 - len(payload))
            off, more = 0, True
        elif kind == 1:
            off, more, payload = 1480 * (1 + rng.randrange(39)), True, b'b' * 1480
        elif kind == 2:
            off, more, payload = 59200, False, b'c' * 808
        else:
            off, more, payload = 65528, True, b'd' * 1480   # ends past 65,535
        if i % 5 == 4:
            src6 = bytes.fromhex('20010db8bad0') + struct.pack('!HQ', i >> 16 & 0xFFFF, i)
            yield t, ipv6_frag(src6, PBX6, 0xF0000000 + i, off, more, payload)
        else:
            fl = (0x2000 if more else 0) | (off >> 3)
            yield t, ether(ipv4(foreign(k), PBX, 17, payload, i & 0xFFFF, fl))


def legit_frag_groups(ctx):
    """The fragments of each fragmented datagram of the legit capture, in
    capture order: lists of (time_us, frame, ip_version, offset, more,
    payload_offset), the groups in the order of their first fragment."""
    groups = {}
    for ts, fr in read_pcap(ctx.legit):
        o, et = 14, struct.unpack('!H', fr[12:14])[0]
        while et in (0x8100, 0x88A8) and len(fr) >= o + 4:
            et = struct.unpack('!H', fr[o + 2:o + 4])[0]
            o += 4
        if et == 0x0800 and len(fr) >= o + 20:
            fo = struct.unpack('!H', fr[o + 6:o + 8])[0]
            if fo & 0x3FFF:
                key = (4, fr[o + 12:o + 20], fr[o + 4:o + 6], fr[o + 9])
                groups.setdefault(key, []).append(
                    (ts, fr, 4, (fo & 0x1FFF) * 8, bool(fo & 0x2000), o + (fr[o] & 15) * 4))
        elif et == 0x86DD and len(fr) >= o + 48 and fr[o + 6] == 44:
            fo = struct.unpack('!H', fr[o + 42:o + 44])[0]
            key = (6, fr[o + 8:o + 40], fr[o + 44:o + 48], fr[o + 40])
            groups.setdefault(key, []).append((ts, fr, 6, fo & 0xFFF8, bool(fo & 1), o + 48))
    return list(groups.values())


def refrag(fr, version, payload_off, off, more, data):
    """Legit fragment fr (same key: addresses, IP ID, protocol) with
    another offset, MF flag and payload; IP lengths and the IPv4 header
    checksum redone."""
    if version == 4:
        ip = payload_off - 20
        h = bytearray(fr[ip:payload_off])
        struct.pack_into('!H', h, 2, 20 + len(data))
        struct.pack_into('!H', h, 6, (h[6] & 0x40) << 8 | (0x2000 if more else 0) | off >> 3)
        struct.pack_into('!H', h, 10, 0)
        struct.pack_into('!H', h, 10, csum(bytes(h)))
        return fr[:ip] + bytes(h) + data
    ip = payload_off - 48
    h = bytearray(fr[ip:payload_off])
    struct.pack_into('!H', h, 4, 8 + len(data))
    struct.pack_into('!H', h, 42, off | (1 if more else 0))
    return fr[:ip] + bytes(h) + data


def a_frag_dup(ctx, n):
    """For the first n fragmented datagrams of the legit capture (fragmented
    INVITEs, IPv4 and IPv6): one microsecond after the first of its
    fragments to arrive, a copy of it from the same source with the same
    IP ID whose bytes differ: the whole fragment with its last 40 bytes
    changed, or 8 changed bytes inside it.  A Linux receiver takes a
    fragment that lies wholly within bytes it holds as a duplicate and
    ignores it (RFC 5722 erratum 3089), so the PBX got the legit datagram;
    a reassembler that dropped the datagram for the conflict lost every
    such INVITE (22 of 600 legit calls at bench scale).  Each copy counts
    in event frag_dup_differs (info 'copies')."""
    out = []
    for k, g in enumerate(legit_frag_groups(ctx)[:n]):
        ts, fr, ver, off, more, po = g[0]
        data = fr[po:]
        nts = ts + 1 if len(g) < 2 or g[1][0] > ts + 1 else ts
        if k % 2 == 0 or len(data) < 24:
            forged = data[:-40] + bytes(b ^ 0x5A for b in data[-40:]) if len(data) > 40 \
                else bytes(b ^ 0x5A for b in data)
            out.append((nts, refrag(fr, ver, po, off, more, forged)))
        else:
            inner = min(64, (len(data) - 8) // 8 * 8)
            piece = bytes(b ^ 0x5A for b in data[inner:inner + 8])
            out.append((nts, refrag(fr, ver, po, off + inner, True, piece)))
    ctx.info['copies'] = len(out)
    out.sort(key=lambda x: x[0])
    return iter(out)


def a_frag_tail(ctx, n):
    """For the first n fragmented datagrams of the legit capture: a forged
    last fragment from the same source with the same IP ID that completes
    the datagram early with the attacker's headers (P-Asserted-Identity
    +19005550199, an SDP of its own), one microsecond after the first
    fragment (offset 0) when that comes before the last, else one before
    the last; then RTP from that SDP's address to the call's PBX media
    port.  A receiver drops such a datagram, and so does calltap: rebuilt,
    its UDP length or checksum fails (events udp_bad_len,
    udp_bad_checksum), or the legit last fragment then ends it elsewhere
    (frag_too_big): one event per datagram (info 'tails').  The INVITE is
    lost as it was at the PBX, so its calls (info 'except_calls') cannot be
    exact: the legit capture's PBX answered it.  Before, the forged bytes
    became the caller's INVITE: the attacker's caller number on the record
    and its RTP a stream of the call.  No record may carry either."""
    bycid = {r['call_id']: r for r in ctx.truth}
    out, hit = [], []
    for i, g in enumerate(legit_frag_groups(ctx)):
        if len(hit) >= n:
            break
        first = [k for k, x in enumerate(g) if x[3] == 0 and x[4]]
        last = [k for k, x in enumerate(g) if not x[4]]
        if not first or not last:
            continue
        ts, fr, ver, off, more, po = g[first[0]]
        if first[0] < last[0]:
            nts = ts + 1 if first[0] + 1 == len(g) or g[first[0] + 1][0] > ts + 1 else ts
        else:
            nts = g[last[0]][0] - 1
        data = fr[po:]
        m = re.search(rb'\r\n(?:Call-ID|i): *([^\r\n]+)', data)
        if m is None:
            continue
        cid = m.group(1).decode('latin-1')
        atk = foreign((60 << 16) + i)   # 100.124.0.0/16: hostile.sh looks for it
        body = sdp(ip_s(atk), 42000 + 2 * i)
        tail = ('0\r\nP-Asserted-Identity: "Evil" <sip:+19005550199@%s>\r\n'
                'Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s'
                % (ip_s(atk), len(body), body)).encode()
        out.append((nts, refrag(fr, ver, po, len(data), False, tail)))
        hit.append(cid)
        r = bycid.get(cid)
        pbx = [s for s in (r or {}).get('streams', []) if s['dst'].startswith(PBX_S + ':')]
        if r and r.get('answer_time') and r.get('end_time') and pbx:
            a, b = iso_us(r['answer_time']), iso_us(r['end_time'])
            dport = int(pbx[0]['dst'].rsplit(':', 1)[1])
            for j in range(50):
                t = a + 20000 * (j + 1)
                if t >= b:
                    break
                out.append((t, udp(atk, PBX, 42000 + 2 * i, dport,
                                   rtp(0, j, 160 * j, 0xBAD00000 + i, b'\x00' * 160))[0]))
    ctx.info.update(tails=len(hit), except_calls=hit)
    out.sort(key=lambda x: x[0])
    return iter(out)


def a_party_spoof(ctx, n):
    """For n answered legit IPv4 calls: during the talk, 50 RTP packets
    spoofed from the far party's own media address:port (its SDP endpoint,
    the source of its stream to the PBX) to a PBX port no SDP announced,
    and 50 to a host that is not the PBX.  Neither reached the PBX's call,
    so neither is a stream of it (rule 2 of src/rtp/media.c takes a
    destination no SDP names only behind NAT, or answering a host that sent
    first); before, both became streams of every such call."""
    calls = [r for r in ctx.truth if r.get('disposition') == 'answered'
             and r.get('answer_time') and r.get('end_time') and ':' not in r['src_ip']
             and ':' not in r['dst_ip'] and r.get('vlan') is None
             and any(not s['src'].startswith(PBX_S + ':') and s['dst'].startswith(PBX_S + ':')
                     for s in r.get('streams') or [])]
    ctx.rng.shuffle(calls)
    out = []
    for i, r in enumerate(calls[:n]):
        a, b = iso_us(r['answer_time']), iso_us(r['end_time'])
        far = [x for x in r['streams'] if not x['src'].startswith(PBX_S + ':')
               and x['dst'].startswith(PBX_S + ':')][0]
        sip_, sp = far['src'].rsplit(':', 1)
        src = bytes(int(x) for x in sip_.split('.'))
        for d, (dst, dp) in enumerate(((PBX, 61000 + 2 * i), (foreign(50000 + i), 40000))):
            for j in range(50):
                t = a + (b - a) // 3 + 20000 * j + d
                if t >= b:
                    break
                out.append((t, udp(src, dst, int(sp), dp,
                                   rtp(8, j, 160 * j, 0x5EED0000 + 2 * i + d, b'\xd5' * 160))[0]))
    ctx.info['calls'] = len(calls[:n])
    out.sort(key=lambda x: x[0])
    return iter(out)


def a_span_dup(ctx, n):
    """Not an attack, a SPAN session that mirrors two VLANs (or both sides
    of a router): every frame of n answered legit IPv4 calls (their SIP by
    Call-ID, their RTP by the streams' sources; no fragments) seen again
    30 us later inside an extra 802.1Q tag, VLAN 300, and for every other
    call also one hop further (TTL - 1, VLAN 301).  The SIP copies are
    retransmissions; an RTP copy, counted as the stream's duplicate, doubled
    its packets and made its loss negative.  Each copied frame counts in
    info 'copies'; calltap counts the RTP ones in rtp_span_copies."""
    calls = [r for r in ctx.truth if r.get('disposition') == 'answered'
             and ':' not in r['src_ip'] and ':' not in r['dst_ip'] and r.get('vlan') is None
             and r.get('transport') == 'udp' and r.get('streams')]
    ctx.rng.shuffle(calls)
    calls = calls[:n]
    hop = {}
    for k, r in enumerate(calls):
        hop[r['call_id'].encode()] = k % 2
        for x in r['streams']:
            a, port = x['src'].rsplit(':', 1)
            hop[(bytes(int(v) for v in a.split('.')), int(port))] = k % 2
    out = []
    for ts, fr in read_pcap(ctx.legit):
        if len(fr) < 42 or fr[12:14] != b'\x08\x00' or fr[23] != 17 or \
                struct.unpack('!H', fr[20:22])[0] & 0x3FFF:
            continue
        l4 = 14 + (fr[14] & 15) * 4
        key = (fr[26:30], struct.unpack('!H', fr[l4:l4 + 2])[0])
        h = hop.get(key)
        if h is None and b'SIP/2.0' in fr:
            m = re.search(rb'\r\n(?:Call-ID|i): *([^\r\n]+)', fr)
            h = hop.get(m.group(1)) if m else None
        if h is None:
            continue
        ip = bytearray(fr[14:l4])
        if h:
            ip[8] -= 1
            struct.pack_into('!H', ip, 10, 0)
            struct.pack_into('!H', ip, 10, csum(bytes(ip)))
        tag = struct.pack('!HH', 0x8100, 300 + h)
        out.append((ts + 30, fr[:12] + tag + fr[12:14] + bytes(ip) + fr[l4:]))
    ctx.info.update(calls=len(calls), copies=len(out))
    return iter(out)


def far_stream(r):
    """The first stream of truth record r from its far party to the PBX
    with more than 100 packets, or None."""
    for x in r.get('streams') or []:
        if not x['src'].startswith(PBX_S + ':') and x['dst'].startswith(PBX_S + ':') and \
                x['packets'] > 100:
            return x
    return None


def talking_calls(ctx):
    """The answered legit IPv4 calls outside VLANs whose far party sent the
    PBX more than 100 RTP packets (far_stream), in truth order."""
    return [r for r in ctx.truth if r.get('disposition') == 'answered'
            and r.get('answer_time') and r.get('end_time') and ':' not in r['src_ip']
            and ':' not in r['dst_ip'] and r.get('vlan') is None and far_stream(r) is not None]


def a_ssrc_spoof(ctx, n):
    """For n answered legit IPv4 calls: halfway through the talk, 40 RTP
    packets to the call's PBX media port from the far party's own media
    address but another port (port + 2: none its SDP announced), with the
    far party's own SSRC and wild sequence numbers and timestamps.  Rule
    1b takes a far party's host on any port (a device may send from
    another port than it receives on), so the copy became a second stream
    of the call; RFC 3550 8.2 calls the same SSRC from a second transport
    address a collision and drops the newcomer while the first stream goes
    on, and so does calltap now (rtp_ssrc_collisions, info 'rtp')."""
    calls = talking_calls(ctx)
    ctx.rng.shuffle(calls)
    out = []
    for r in calls[:n]:
        a, b = iso_us(r['answer_time']), iso_us(r['end_time'])
        far = far_stream(r)
        sip_, sp = far['src'].rsplit(':', 1)
        dp = int(far['dst'].rsplit(':', 1)[1])
        src = bytes(int(x) for x in sip_.split('.'))
        ssrc = int(far['ssrc'], 16)
        for j in range(40):
            t = a + (b - a) // 2 + 20000 * j + 3
            if t >= b:
                break
            out.append((t, udp(src, PBX, int(sp) + 2, dp,
                               rtp(0, 30000 * j, 7777777 * j, ssrc, b'\xff' * 160))[0]))
    ctx.info.update(calls=len(calls[:n]), rtp=len(out))
    out.sort(key=lambda x: x[0])
    return iter(out)


def spoof_talk(ctx, n, forge, after=0):
    """For n answered legit IPv4 calls, RTP packets 3 us (then 1 ms apart)
    after the far party's packet closest to the middle of the talk (with
    after, in us: after its last packet, that much later; calls without a
    BYE first), on that stream's own 4-tuple with its SSRC and payload type
    (a sniffer's spoof): forge(k, seq, ts) gives the (sequence number,
    timestamp) of each for the k-th call.  The calls' Call-IDs are info
    'targets'."""
    calls = talking_calls(ctx)
    ctx.rng.shuffle(calls)
    if after:
        calls.sort(key=lambda r: not r.get('truncated'))
    calls = calls[:n]
    want = {}
    for r in calls:
        x = far_stream(r)
        a, port = x['src'].rsplit(':', 1)
        key = (bytes(int(v) for v in a.split('.')), int(port), int(x['dst'].rsplit(':', 1)[1]))
        mid = (iso_us(r['answer_time']) + iso_us(r['end_time'])) // 2
        want[key] = [mid if not after else 1 << 62, None, r['call_id']]
    for ts, fr in read_pcap(ctx.legit):
        if len(fr) < 54 or fr[12:14] != b'\x08\x00' or fr[23] != 17:
            continue
        l4 = 14 + (fr[14] & 15) * 4
        sp, dp = struct.unpack('!HH', fr[l4:l4 + 4])
        w = want.get((fr[26:30], sp, dp))
        if w is None or fr[30:34] != PBX or len(fr) < l4 + 20 or fr[l4 + 8] >> 6 != 2:
            continue
        if w[1] is None or abs(ts - w[0]) < abs(w[1][0] - w[0]):
            w[1] = (ts, fr, l4)
    out, targets = [], []
    for k, (key, (mid, best, cid)) in enumerate(sorted(want.items())):
        if best is None:
            continue
        targets.append(cid)
        ts, fr, l4 = best
        pt = fr[l4 + 9] & 0x7F
        seq, rts, ssrc = struct.unpack('!HII', fr[l4 + 10:l4 + 20])
        for i, (fseq, frts) in enumerate(forge(k, seq, rts)):
            out.append((ts + after + 3 + 1000 * i, udp(key[0], PBX, key[1], key[2],
                                               rtp(pt, fseq & 0xFFFF, frts & 0xFFFFFFFF, ssrc,
                                                   fr[l4 + 20:]))[0]))
    ctx.info.update(calls=len(targets), targets=targets)
    out.sort(key=lambda x: x[0])
    return iter(out)


def a_rtp_lone(ctx, n):
    """One spoofed packet in the talk of n legit calls (spoof_talk), by
    turns its sequence number 2,000 ahead (and its timestamp as far),
    30,000 ahead, or the next one with the timestamp 2^30 ahead (the real
    next packet then came as a duplicate).  Taken, one packet made the
    stream 70-95 % lost, its jitter seconds to hours and its MOS 1.0; now
    it goes on probation and, the next packet continuing the stream before
    it, counts nowhere but out_of_order (RFC 3550 A.1)."""
    def forge(k, seq, rts):
        if k % 3 == 0:
            return [(seq + 2000, rts + 2000 * 160)]
        if k % 3 == 1:
            return [(seq + 30000, rts)]
        return [(seq + 1, rts + (1 << 30))]
    return spoof_talk(ctx, n, forge)


def a_rtp_trail(ctx, n):
    """One spoofed packet 4.9 s after the last RTP packet of n legit calls'
    far party (spoof_talk; calls without a BYE first), its sequence number
    and timestamp 245 packets on, as if the stream had come back after an
    outage.  Taken (the time fitted that much loss), the stream was 30-60 %
    lost and a call without a BYE ended 4.9 s later (red-team pass 7); now
    it waits for a next packet that never comes: out_of_order only."""
    return spoof_talk(ctx, n, lambda k, seq, rts: [(seq + 245, rts + 245 * 160)],
                      after=4900000)


def a_rtp_pair(ctx, n):
    """Two spoofed packets in a row in the talk of n legit calls
    (spoof_talk), the second confirming the first on probation: by turns
    sequence numbers 2,000 and 2,001 ahead (timestamps as far), or the
    next two numbers with timestamps 2^30 ahead.  Taken, they made the
    stream 64-87 % lost or its jitter hours (red-team pass 7); the stream
    going on from its own numbers undoes them: out_of_order only."""
    def forge(k, seq, rts):
        if k % 2 == 0:
            return [(seq + 2000 + i, rts + (2000 + i) * 160) for i in range(2)]
        return [(seq + 1 + i, rts + (1 << 30) + 160 * i) for i in range(2)]
    return spoof_talk(ctx, n, forge)


def a_ssrc_churn(ctx, n):
    """An answered attacker call, then n RTP packets at 50,000 a second on
    its own media 4-tuple (the source its SDP offered, to the PBX port of
    the answer), each with an SSRC never used before: a call takes 64
    streams, the rest are refused and tracked as orphans (bounded, least
    recently seen ended first).  Streams and orphans are hashed by 4-tuple
    and SSRC, so the tuple's streams are no chain that every new SSRC walks
    (before: 8,000 such packets 0.46 s, 300,000 about ten minutes).  The
    twin (--control) sends the same packets from 30,000 source ports in
    turn (a stream or orphan each, no tuple shared by more than two)."""
    src = foreign(61000)
    _, frames = answered_call(ctx, src, 'ssrc-churn', 58001)
    yield from frames
    t = ctx.t0 + 1000
    for j in range(n):
        sport = 20000 if not ctx.control else 1024 + 2 * (j % 30000)
        yield t + 60000 + 20 * j, udp(src, PBX, sport, 58001,
                                      rtp(0, j, 160 * j, 0x5c000000 + j, b'\xff' * 160))[0]


def encap(kind, outer_src, frame):
    """The Ethernet frame `frame` (IPv4 inside) sent by outer_src to the PBX
    inside a tunnel: 0 VXLAN (RFC 7348, UDP 4789), 1 GTP-U (3GPP TS 29.281,
    UDP 2152), 2 GRE (RFC 2784, protocol 47), 3 IP-in-IP (protocol 4)."""
    ip = frame[14:]
    if kind == 0:
        inner = struct.pack('!BBHI', 0x08, 0, 0, 42 << 8) + frame
        dport = 4789
    elif kind == 1:
        inner = struct.pack('!BBHI', 0x30, 0xFF, len(ip), 0x1234) + ip
        dport = 2152
    elif kind == 2:
        return ether(ipv4(outer_src, PBX, 47, struct.pack('!HH', 0, 0x0800) + ip))
    else:
        return ether(ipv4(outer_src, PBX, 4, ip))
    return ether(ipv4(outer_src, PBX, 17, struct.pack('!HHHH', 40000, dport, 8 + len(inner), 0)
                      + inner))


def a_tunnel_spoof(ctx, n):
    """For n answered legit IPv4 calls over UDP: a stranger on the internet
    sends the PBX tunnel packets (VXLAN, GTP-U, GRE, IP-in-IP in turn; the
    PBX terminates none of them and drops them) whose inner packet is a BYE
    with the call's Call-ID and tags from the caller's own address, halfway
    through the call, and, from its answer on, 20 RTP packets (a full-scale
    square wave, a new SSRC) from the call's own first media source to its
    destination.  The sensor decodes tunnels (a mirror may send it
    everything in one), so before the fix the BYE ended the call and the
    RTP was measured and recorded as the call's.  The legit records must not
    change: the BYEs are foreign (sip_foreign_in_dialog), the RTP injected
    (rtp_injected)."""
    tags = legit_tags(ctx)
    calls = [r for r in ctx.truth if r.get('disposition') == 'answered'
             and r.get('answer_time') and r.get('end_time') and r.get('transport') == 'udp'
             and ':' not in r['dst_ip'] and ':' not in r['src_ip']
             and r.get('streams') and ':' not in r['streams'][0]['src'].rsplit(':', 1)[0]
             and tags.get(r['call_id'], [None])[0] and tags[r['call_id']][1]]
    ctx.rng.shuffle(calls)
    out, byes, rtps = [], 0, 0
    for i, r in enumerate(calls[:n]):
        cid, (ft, tt) = r['call_id'], tags[r['call_id']]
        a, e = iso_us(r['answer_time']), iso_us(r['end_time'])
        if e - a < 500000:
            continue
        outer = foreign(52000 + i)
        src = bytes(int(x) for x in r['src_ip'].split('.'))
        for fr in forged(src, r['dst_ip'], cid, 'BYE', '9301 BYE', ft, tt):
            out.append((a + (e - a) // 2, encap(i % 4, outer, fr)))
        byes += 1
        (sip_, sp), (dip, dp) = ep(r['streams'][0]['src']), ep(r['streams'][0]['dst'])
        pay = (b'\x80' * 20 + b'\x00' * 20) * 4
        for k in range(20):
            fr = udp(bytes(int(x) for x in sip_.split('.')), bytes(int(x) for x in dip.split('.')),
                     sp, dp, rtp(0, 30000 + k, 160 * k, 0x7e000000 + i, pay))[0]
            out.append((a + 30000 + 20000 * k, encap(i % 4, outer, fr)))
            rtps += 1
    out.sort(key=lambda x: x[0])
    ctx.info.update(calls=byes, foreign_msgs=byes, rtp=rtps)
    return iter(out)


CONTROLLED = ('collide', 'collide-caller', 'collide-media', 'many-headers', 'tcp-10byte',
              'tcp-ooo', 'ssrc-churn')

GENERATORS = {
    'scan': a_scan, 'invite-flood': a_invite_flood, 'spoofed-pairs': a_spoofed_pairs,
    'long-fields': a_long_fields, 'collide': a_collide, 'collide-caller': a_collide_caller,
    'collide-media': a_collide_media, 'update-storm': a_update_storm,
    'many-headers': a_many_headers, 'tcp-10byte': a_tcp_10byte, 'tcp-ooo': a_tcp_ooo,
    'rtp-flood': a_rtp_flood, 'pt-switch': a_pt_switch, 'pcapng-ts': a_pcapng_ts,
    'sdp-steal': a_sdp_steal, 'sdp-hijack': a_sdp_hijack, 'forged-bye': a_forged_bye,
    'bye-wrong-tag': a_bye_wrong_tag, 'forged-resp': a_forged_resp,
    'reuse-callid': a_reuse_callid, 'answered-stranger': a_answered_stranger,
    'bye-stale-cseq': a_bye_stale_cseq, 'media-claim': a_media_claim,
    'bye-long-clen': a_bye_long_clen, 'cancel-wrong': a_cancel_wrong,
    'bye-malformed': a_bye_malformed, 'no-branch': a_no_branch,
    'offer-refused': a_offer_refused, 'tcp-next-byte': a_tcp_next_byte,
    'ack-spoof': a_ack_spoof, 'resp-unseen': a_resp_unseen,
    'inv-resp-spoof': a_inv_resp_spoof, 'reinvite-refused': a_reinvite_refused,
    'answer-unasked': a_answer_unasked,
    'indialog-flood': a_indialog_flood, 'resp-flood': a_resp_flood, 'ood-flood': a_ood_flood,
    'many-m': a_many_m, 'sdp-flood': a_sdp_flood, 'fork-flood': a_fork_flood,
    'tcp-conn-flood': a_tcp_conn_flood, 'ssrc-churn': a_ssrc_churn,
    'frag-flood': a_frag_flood, 'tcp-spoof': a_tcp_spoof, 'tcp-resplit': a_tcp_resplit,
    'tunnel-spoof': a_tunnel_spoof, 'ts-outlier': a_ts_outlier,
    'frag-dup': a_frag_dup, 'frag-tail': a_frag_tail, 'party-spoof': a_party_spoof,
    'span-dup': a_span_dup, 'ssrc-spoof': a_ssrc_spoof, 'rtp-lone': a_rtp_lone,
    'rtp-pair': a_rtp_pair, 'rtp-trail': a_rtp_trail,
}
# Mixes that `list` does not show (hostile.sh and bench --hostile skip them).
UNLISTED = {'sdp-steal': ('UPDATEs', 25000, 25000, 'spoofed SDP answers claiming PBX ports')}


# ---------------------------------------------------------------- pcap I/O

def iso_us(s):
    from datetime import datetime, timezone
    d = datetime.strptime(s, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=timezone.utc)
    return int(d.timestamp()) * US + d.microsecond


def read_pcap(path):
    """(time_us, frame) of a classic little-endian microsecond pcap."""
    with open(path, 'rb') as f:
        hdr = f.read(24)
        if len(hdr) < 24 or hdr[:4] != b'\xd4\xc3\xb2\xa1':
            raise SystemExit('attacks.py: %s: not a little-endian microsecond pcap' % path)
        unpack = struct.Struct('<IIII').unpack
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                return
            s, u, incl, _ = unpack(rh)
            yield s * US + u, f.read(incl)


class PcapOut:
    def __init__(self, f):
        self.f = f
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))

    def put(self, ts, frame):
        self.f.write(struct.pack('<IIII', ts // US, ts % US, len(frame), len(frame)) + frame)


class PcapngOut:
    """Section header, interface 0 (microseconds), interface 1
    (microseconds), interface 2 (seconds, if_tsoffset 2^62 s)."""

    def __init__(self, f):
        self.f = f
        self.block(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1))
        for opts in (b'', b'', struct.pack('<HHB3x', 9, 1, 0) + struct.pack('<HHQ', 14, 8, 1 << 62)):
            self.block(1, struct.pack('<HHI', 1, 0, 262144) + opts +
                       (struct.pack('<HH', 0, 0) if opts else b''))

    def block(self, btype, body):
        body += b'\0' * (-len(body) % 4)
        n = len(body) + 12
        self.f.write(struct.pack('<II', btype, n) + body + struct.pack('<I', n))

    def put(self, ts, frame):
        if isinstance(ts, tuple):
            ifc, raw = ts
        else:
            ifc, raw = 0, ts
        self.block(6, struct.pack('<IIIII', ifc, raw >> 32, raw & 0xFFFFFFFF, len(frame),
                                  len(frame)) + frame)


class Ctx:
    pass


def load_truth(path):
    with open(path, encoding='utf-8') as f:
        return [json.loads(x) for x in f if x.strip()]


def legit_span(truth):
    t0 = t1 = None
    for r in truth:
        for k in ('start_time', 'end_time'):
            if r.get(k):
                v = iso_us(r[k])
                t0 = v if t0 is None or v < t0 else t0
                t1 = v if t1 is None or v > t1 else t1
    return t0, t1


def quiet_stdout():
    """After EPIPE: stdout goes to /dev/null so the exit flush is silent."""
    import os
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1)
    os.close(fd)


def mix(args):
    if args.attack not in GENERATORS:
        raise SystemExit('attacks.py: unknown attack %s (see list)' % args.attack)
    ctx = Ctx()
    ctx.rng = random.Random(args.seed)
    ctx.truth = load_truth(args.truth)
    ctx.t0, ctx.t1 = legit_span(ctx.truth)
    if ctx.t0 is None:
        raise SystemExit('attacks.py: empty truth %s' % args.truth)
    ctx.info = {'attack': args.attack, 'control': bool(args.control)}
    ctx.legit = args.legit
    ctx.control = args.control
    if args.control and args.attack not in CONTROLLED:
        raise SystemExit('attacks.py: %s has no --control twin' % args.attack)
    scale = args.scale if args.scale is not None else \
        (ATTACKS.get(args.attack) or UNLISTED[args.attack])[1]
    ctx.info['scale'] = scale
    out = open(args.output, 'wb') if args.output and args.output != '-' else sys.stdout.buffer
    w = PcapngOut(out) if args.attack == 'pcapng-ts' else PcapOut(out)
    counts = [0, 0]

    def tagged(it, k):
        # (time, frame) or (position time, frame, time stored): ts-outlier
        for x in it:
            counts[k] += 1
            yield x[0], k, x[1], x[2] if len(x) > 2 else x[0]
    atk = GENERATORS[args.attack](ctx, scale)
    put = w.put

    def put_safe(ts, fr):
        # calltap gone (crashed): count the rest, write nothing.
        nonlocal put
        try:
            put(ts, fr)
        except BrokenPipeError:
            put = lambda ts, fr: None
            ctx.info['broken_pipe'] = True
            quiet_stdout()
    if args.attack == 'pcapng-ts':
        # After the whole legit capture: no merge by time.
        for ts, k, fr, _ in tagged(read_pcap(args.legit), 0):
            put_safe(ts, fr)
        for ts, k, fr, _ in tagged(atk, 1):
            put_safe(ts, fr)
    else:
        for ts, k, fr, stored in heapq.merge(tagged(read_pcap(args.legit), 0), tagged(atk, 1),
                                             key=lambda x: (x[0], x[1])):
            put_safe(stored, fr)
    try:
        out.flush()
        if out is not sys.stdout.buffer:
            out.close()
    except BrokenPipeError:
        ctx.info['broken_pipe'] = True
        quiet_stdout()
    ctx.info.update(legit_packets=counts[0], attack_packets=counts[1],
                    packets=counts[0] + counts[1])
    if args.info:
        with open(args.info, 'w') as f:
            json.dump(ctx.info, f)
            f.write('\n')
    return 0


def wavpeak(path):
    import wave
    w = wave.open(path, 'rb')
    if w.getsampwidth() != 2:
        raise SystemExit('attacks.py: %s: not 16-bit' % path)
    peak = 0
    while True:
        b = w.readframes(65536)
        if not b:
            break
        a = struct.unpack('<%dh' % (len(b) // 2), b)
        peak = max(peak, max(a), -min(a))
    return peak


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    sub.add_parser('list')
    m = sub.add_parser('mix')
    m.add_argument('attack')
    m.add_argument('legit')
    m.add_argument('truth')
    m.add_argument('--scale', type=int)
    m.add_argument('--seed', type=int, default=9)
    m.add_argument('-o', '--output')
    m.add_argument('--info')
    m.add_argument('--control', action='store_true',
                   help='the harmless twin of a CPU attack (see CONTROLLED)')
    c = sub.add_parser('collide')
    c.add_argument('k', type=int)
    wp = sub.add_parser('wavpeak')
    wp.add_argument('wav')
    a = p.parse_args(argv[1:])
    if a.cmd == 'list':
        for name, (unit, test, bench, desc) in ATTACKS.items():
            print('%-14s %-40s check %-7d bench %-8d %s' % (name, unit, test, bench, desc))
        return 0
    if a.cmd == 'mix':
        return mix(a)
    if a.cmd == 'collide':
        for cid in colliding_ids(a.k):
            print(cid.decode())
        return 0
    if a.cmd == 'wavpeak':
        print(wavpeak(a.wav))
        return 0
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
