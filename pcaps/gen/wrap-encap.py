#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Re-encapsulates every IP frame of an Ethernet pcap the way a provider,
cloud or mobile link would carry it, keeping the capture times, so that
calltap must find the very same calls in the result as in the input.

usage: wrap-encap.py MODE IN.pcap OUT.pcap

MODE:
  qinq    802.1ad stack: 0x88a8 VLAN 100, 0x8100 VLAN 200 (odd frames:
          0x9100 VLAN 100, 0x8100 VLAN 200, 0x8100 VLAN 300)
  qinq9200  0x9200 VLAN 100, 0x9100 VLAN 200, 0x8100 VLAN 300 (tshark
          decodes 0x9200 only with -o vlan.qinq_ethertype:0x9200)
  mpls    label stack 16000/17 (bottom), then the IP packet (Ethernet
          header dropped, EtherType 0x8847)
  mplspw  Ethernet pseudowire: labels 20000/300, control word with a
          sequence number, then the whole original Ethernet frame
  geneve  IPv4/UDP 6081 Geneve with one 8-byte option, protocol 0x6558,
          the whole original Ethernet frame inside
  pppoe   PPPoE session 0x0042 (EtherType 0x8864, PPP 0x0021 / 0x0057),
          preceded by the four discovery frames PADI, PADO, PADR, PADS
  gtpu    GTP-U over IPv4/UDP 2152 between an eNodeB (172.16.0.1) and an
          SGW (172.16.0.2), one TEID per direction, sequence numbers,
          every other frame with a PDU session container extension header
Frames that are not IPv4/IPv6 are copied unchanged.  Classic pcap in and
out (microsecond, either byte order in)."""

import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests'))
from pktlib import csum  # noqa: E402

MAC_A = bytes.fromhex('020000000a01')
MAC_B = bytes.fromhex('020000000b02')


def read_pcap(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = data[:4]
    if magic == b'\xd4\xc3\xb2\xa1':
        e = '<'
    elif magic == b'\xa1\xb2\xc3\xd4':
        e = '>'
    else:
        sys.exit('%s: not a microsecond classic pcap' % path)
    linktype = struct.unpack(e + 'I', data[20:24])[0]
    if linktype != 1:
        sys.exit('%s: link type %d, want Ethernet' % (path, linktype))
    off, frames = 24, []
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack(e + 'IIII', data[off:off + 16])
        frames.append((sec, usec, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return frames


def write_pcap(path, frames):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for sec, usec, b in frames:
            f.write(struct.pack('<IIII', sec, usec, len(b), len(b)))
            f.write(b)


def ip_packet(frame):
    """(ethertype, IP packet without Ethernet padding) or None."""
    if len(frame) < 14:
        return None
    etype = struct.unpack('!H', frame[12:14])[0]
    ip = frame[14:]
    if etype == 0x0800 and len(ip) >= 20:
        return etype, ip[:struct.unpack('!H', ip[2:4])[0]]
    if etype == 0x86DD and len(ip) >= 40:
        return etype, ip[:40 + struct.unpack('!H', ip[4:6])[0]]
    return None


def ipv4_udp(src, dst, sport, dport, payload, ident):
    udp = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), ident & 0xffff, 0x4000,
                      64, 17, 0, bytes(src), bytes(dst))
    hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
    return hdr + udp


def eth(dst, src, etype, body):
    return dst + src + struct.pack('!H', etype) + body


def wrap_qinq(i, frame, ipp):
    if i % 2 == 0:
        tags = struct.pack('!HHH', 100, 0x8100, 200)
        return frame[:12] + struct.pack('!H', 0x88a8) + tags + frame[12:]
    tags = struct.pack('!HHHHH', 100, 0x8100, 200, 0x8100, 300)
    return frame[:12] + struct.pack('!H', 0x9100) + tags + frame[12:]


def wrap_qinq9200(i, frame, ipp):
    tags = struct.pack('!HHHHH', 100, 0x9100, 200, 0x8100, 300)
    return frame[:12] + struct.pack('!H', 0x9200) + tags + frame[12:]


def mpls_entry(label, bos, ttl=64):
    return struct.pack('!I', label << 12 | (0x100 if bos else 0) | ttl)


def wrap_mpls(i, frame, ipp):
    return eth(MAC_B, MAC_A, 0x8847, mpls_entry(16000, False) + mpls_entry(17, True) + ipp[1])


def wrap_mplspw(i, frame, ipp):
    cw = struct.pack('!I', (i + 1) & 0xffff)
    return eth(MAC_B, MAC_A, 0x8847,
               mpls_entry(20000, False, 255) + mpls_entry(300, True, 255) + cw + frame)


def wrap_geneve(i, frame, ipp):
    opt = struct.pack('!HBB', 0x0102, 0x80, 1) + b'\xde\xad\xbe\xef'
    gen = struct.pack('!BBHI', len(opt) // 4, 0, 0x6558, 4242 << 8) + opt + frame
    outer = ipv4_udp([10, 99, 0, 1], [10, 99, 0, 2], 49152 + i % 1000, 6081, gen, i)
    return eth(MAC_B, MAC_A, 0x0800, outer)


def wrap_pppoe(i, frame, ipp):
    proto = 0x0021 if ipp[0] == 0x0800 else 0x0057
    body = struct.pack('!H', proto) + ipp[1]
    hdr = struct.pack('!BBHH', 0x11, 0x00, 0x0042, len(body))
    return frame[:12] + struct.pack('!H', 0x8864) + hdr + body


def pppoe_discovery():
    out = []
    for code, src, dst in ((0x09, MAC_A, b'\xff' * 6), (0x07, MAC_B, MAC_A),
                           (0x19, MAC_A, MAC_B), (0x65, MAC_B, MAC_A)):
        tags = struct.pack('!HH', 0x0101, 0)  # Service-Name: any
        sid = 0x0042 if code == 0x65 else 0
        out.append(eth(dst, src, 0x8863, struct.pack('!BBHH', 0x11, code, sid, len(tags)) + tags))
    return out


class Gtpu:
    """Tunnel state: which inner source is the UE (uplink), sequence numbers."""

    def __init__(self):
        self.ue = None
        self.seq = 0

    def wrap(self, i, frame, ipp):
        ip = ipp[1]
        src = ip[12:16] if ipp[0] == 0x0800 else ip[8:24]
        if self.ue is None:
            self.ue = src
        up = src == self.ue
        self.seq += 1
        teid = 0x1000a001 if up else 0x2000b002
        if i % 2:
            # E and S: PDU session container (TS 38.415), QFI 9.
            ext = bytes([1, 0x10 if up else 0x00, 9, 0])
            opt = struct.pack('!HBB', self.seq & 0xffff, 0, 0x85) + ext
            flags = 0x36
        else:
            opt = struct.pack('!HBB', self.seq & 0xffff, 0, 0)
            flags = 0x32
        gtp = struct.pack('!BBHI', flags, 255, len(opt) + len(ip), teid) + opt + ip
        enb, sgw = [172, 16, 0, 1], [172, 16, 0, 2]
        outer = ipv4_udp(enb if up else sgw, sgw if up else enb, 2152, 2152, gtp, i)
        return eth(MAC_B if up else MAC_A, MAC_A if up else MAC_B, 0x0800, outer)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    mode, src, dst = sys.argv[1:]
    frames = read_pcap(src)
    fn = {'qinq': wrap_qinq, 'qinq9200': wrap_qinq9200, 'mpls': wrap_mpls, 'mplspw': wrap_mplspw,
          'geneve': wrap_geneve, 'pppoe': wrap_pppoe, 'gtpu': Gtpu().wrap}.get(mode)
    if fn is None:
        sys.exit('unknown mode ' + mode)
    out = []
    if mode == 'pppoe' and frames:
        sec, usec = frames[0][0], frames[0][1]
        for k, d in enumerate(pppoe_discovery()):
            out.append((sec - 1, usec + k, d))
    for i, (sec, usec, frame) in enumerate(frames):
        ipp = ip_packet(frame)
        out.append((sec, usec, fn(i, frame, ipp) if ipp is not None else frame))
    write_pcap(dst, out)


if __name__ == '__main__':
    main()
