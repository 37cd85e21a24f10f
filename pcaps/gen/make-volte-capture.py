#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes a VoLTE-style call as an IMS core would see it before the GTP-U
wrapping (pcaps/gen/wrap-encap.py gtpu adds the mobile tunnel): the UE
2001:db8:10::10 talks SIP over TCP to its P-CSCF [2001:db8:20::5]:5060
from port 41000, with tel: URIs and P-Asserted-Identity, and AMR-WB
(RFC 4867, payload type 104, octet-aligned) with telephone-event:

  INVITE tel:+15551230002 (SDP offer, ~1.9 KB: sent in two TCP segments),
  100 Trying, 183 Session Progress, 180 Ringing, 200 OK (SDP answer), ACK,
  2 s of AMR-WB each way between [2001:db8:10::10]:50000 and
  [2001:db8:20::99]:40000 (100 packets per stream, 20 ms, one lost packet
  in the network's stream: seq 7049), BYE from the far end, 200 OK.
Deterministic.

usage: make-volte-capture.py OUT.pcap"""

import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests'))
from pktlib import csum  # noqa: E402

UE = bytes.fromhex('20010db8001000000000000000000010')
PCSCF = bytes.fromhex('20010db8002000000000000000000005')
MGW = bytes.fromhex('20010db8002000000000000000000099')
MAC_U, MAC_N = bytes.fromhex('02000000e001'), bytes.fromhex('02000000e002')
UPORT, PPORT = 41000, 5060
T0 = 1767268800  # 2026-01-01T12:00:00Z


def ipv6(src, dst, nh, payload):
    return struct.pack('!IHBB16s16s', 0x60000000, len(payload), nh, 64, src, dst) + payload


def l4_csum(src, dst, nh, seg):
    return csum(src + dst + struct.pack('!IxxxB', len(seg), nh) + seg)


def tcp(src, dst, sp, dp, seq, ack, flags, data=b''):
    h = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0)
    return h[:16] + struct.pack('!H', l4_csum(src, dst, 6, h + data)) + h[18:] + data


def udp(src, dst, sp, dp, data):
    h = struct.pack('!HHHH', sp, dp, 8 + len(data), 0)
    return h[:6] + struct.pack('!H', l4_csum(src, dst, 17, h + data) or 0xffff) + data


class Capture:
    def __init__(self):
        self.frames = []
        self.useq, self.nseq = 70000, 90000

    def frame(self, t, from_ue, pkt):
        macs = MAC_N + MAC_U if from_ue else MAC_U + MAC_N
        self.frames.append((t, macs + b'\x86\xdd' + pkt))

    def seg(self, t, from_ue, flags, data=b''):
        if from_ue:
            p = tcp(UE, PCSCF, UPORT, PPORT, self.useq, self.nseq, flags, data)
            self.frame(t, True, ipv6(UE, PCSCF, 6, p))
            self.useq += len(data) + (1 if flags & 0x03 else 0)
        else:
            p = tcp(PCSCF, UE, PPORT, UPORT, self.nseq, self.useq, flags, data)
            self.frame(t, False, ipv6(PCSCF, UE, 6, p))
            self.nseq += len(data) + (1 if flags & 0x03 else 0)

    def sip(self, t, from_ue, text, parts=1):
        data = text.encode()
        step = (len(data) + parts - 1) // parts
        for i in range(0, len(data), step):
            self.seg(t + i * 1e-6, from_ue, 0x18, data[i:i + step])

    def rtp(self, t, from_ue, seq, ts, ssrc):
        # AMR-WB octet-aligned: CMR, one ToC (F=0, FT=2 12.65 kbit/s, Q=1), 33 bytes.
        data = struct.pack('!BBHI', 0x80, 104, seq & 0xffff, ts) + struct.pack('!I', ssrc)
        data += bytes([0xf0, 0x14]) + bytes((seq * 7 + k) & 0xff for k in range(33))
        if from_ue:
            self.frame(t, True, ipv6(UE, MGW, 17, udp(UE, MGW, 50000, 40000, data)))
        else:
            self.frame(t, False, ipv6(MGW, UE, 17, udp(MGW, UE, 40000, 50000, data)))

    def write(self, path):
        self.frames.sort(key=lambda f: f[0])
        with open(path, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for t, fr in self.frames:
                us = round(t * 1e6)
                f.write(struct.pack('<IIII', T0 + us // 1000000, us % 1000000, len(fr), len(fr)))
                f.write(fr)


DOMAIN = 'ims.mnc001.mcc001.3gppnetwork.org'
CALL_ID = 'volte-7d1e4b2a@2001:db8:10::10'
UE_VIA = 'Via: SIP/2.0/TCP [2001:db8:10::10]:41000;branch=z9hG4bK%s\r\n'
FROM = 'From: <sip:+15557650001@%s>;tag=ue11\r\n' % DOMAIN
TO = 'To: <tel:+15551230002>'
TAG = ';tag=far22'


def sdp(addr, port, sess):
    return ('v=0\r\no=- %d 1 IN IP6 %s\r\ns=-\r\nc=IN IP6 %s\r\nb=AS:49\r\nt=0 0\r\n'
            'm=audio %d RTP/AVP 104 100\r\nb=AS:49\r\n'
            'a=rtpmap:104 AMR-WB/16000/1\r\na=fmtp:104 octet-align=1; mode-change-capability=2\r\n'
            'a=rtpmap:100 telephone-event/16000\r\na=fmtp:100 0-15\r\na=ptime:20\r\n'
            'a=maxptime:240\r\na=sendrecv\r\n' % (sess, addr, addr, port))


def invite():
    body = sdp('2001:db8:10::10', 50000, 3000)
    icsi = 'urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel'
    hdrs = ('INVITE tel:+15551230002 SIP/2.0\r\n' + UE_VIA % 'inv1' + 'Max-Forwards: 70\r\n' +
            'Route: <sip:[2001:db8:20::5]:5060;lr>\r\n' + FROM + TO + '\r\n' +
            'Call-ID: ' + CALL_ID + '\r\nCSeq: 1 INVITE\r\n' +
            'Contact: <sip:+15557650001@[2001:db8:10::10]:41000;transport=tcp>'
            ';+g.3gpp.icsi-ref="' + icsi + '";+sip.instance='
            '"<urn:gsma:imei:35000000-000000-0>"\r\n' +
            'P-Preferred-Identity: <sip:+15557650001@' + DOMAIN + '>\r\n' +
            'P-Access-Network-Info: 3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=0010100010019B01\r\n' +
            'Accept-Contact: *;+g.3gpp.icsi-ref="' + icsi + '"\r\n' +
            'P-Preferred-Service: urn:urn-7:3gpp-service.ims.icsi.mmtel\r\n'
            'Allow: INVITE,ACK,OPTIONS,CANCEL,BYE,UPDATE,INFO,REFER,NOTIFY,MESSAGE,PRACK\r\n'
            'Supported: 100rel,histinfo,join,norefersub,precondition,replaces,timer,sec-agree\r\n'
            'Session-Expires: 1800\r\nMin-SE: 90\r\n'
            'Security-Verify: ipsec-3gpp;q=0.1;alg=hmac-sha-1-96;spi-c=1111;spi-s=2222;'
            'port-c=5062;port-s=5060\r\n'
            'User-Agent: ExampleUE/1.0 VoLTE\r\n'
            'Content-Type: application/sdp\r\n' +
            'Content-Length: %d\r\n\r\n' % len(body))
    return hdrs + body


def resp(code, reason, cseq, method, branch, tag='', body='', contact=False):
    return ('SIP/2.0 %d %s\r\n' % (code, reason) + UE_VIA % branch + FROM + TO + tag + '\r\n' +
            'Call-ID: %s\r\nCSeq: %d %s\r\n' % (CALL_ID, cseq, method) +
            ('P-Asserted-Identity: <tel:+15551230002>\r\n' if code > 100 else '') +
            ('Contact: <sip:+15551230002@[2001:db8:20::5]:5060;transport=tcp>\r\n'
             if contact else '') +
            ('Content-Type: application/sdp\r\n' if body else '') +
            'Content-Length: %d\r\n\r\n%s' % (len(body), body))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    c = Capture()
    c.seg(0.000, True, 0x02)
    c.seg(0.015, False, 0x12)
    c.seg(0.016, True, 0x10)
    c.sip(0.100, True, invite(), parts=2)
    c.sip(0.160, False, resp(100, 'Trying', 1, 'INVITE', 'inv1'))
    c.sip(0.900, False, resp(183, 'Session Progress', 1, 'INVITE', 'inv1', TAG))
    c.sip(1.200, False, resp(180, 'Ringing', 1, 'INVITE', 'inv1', TAG))
    c.sip(3.000, False, resp(200, 'OK', 1, 'INVITE', 'inv1', TAG,
                             sdp('2001:db8:20::99', 40000, 7000), contact=True))
    c.sip(3.050, True, 'ACK sip:+15551230002@[2001:db8:20::5]:5060;transport=tcp SIP/2.0\r\n' +
          UE_VIA % 'ack1' + 'Max-Forwards: 70\r\n' + FROM + TO + TAG + '\r\n' +
          'Call-ID: %s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n' % CALL_ID)
    for i in range(100):
        c.rtp(3.060 + i * 0.020, True, 1000 + i, 320 * i, 0x0a0b0c0d)
        if i != 49:
            c.rtp(3.070 + i * 0.020 + (0.002 if i % 3 == 0 else 0), False, 7000 + i,
                  16000 + 320 * i, 0x1a2b3c4d)
    bye = ('BYE sip:+15557650001@[2001:db8:10::10]:41000;transport=tcp SIP/2.0\r\n'
           'Via: SIP/2.0/TCP [2001:db8:20::5]:5060;branch=z9hG4bKbye9\r\n'
           'Max-Forwards: 69\r\nFrom: <tel:+15551230002>;tag=far22\r\n'
           'To: <sip:+15557650001@%s>;tag=ue11\r\n' % DOMAIN +
           'Call-ID: %s\r\nCSeq: 2 BYE\r\n' % CALL_ID +
           'Reason: Q.850;cause=16;text="Normal call clearing"\r\nContent-Length: 0\r\n\r\n')
    c.sip(5.200, False, bye)
    c.sip(5.230, True, 'SIP/2.0 200 OK\r\n'
          'Via: SIP/2.0/TCP [2001:db8:20::5]:5060;branch=z9hG4bKbye9\r\n'
          'From: <tel:+15551230002>;tag=far22\r\n'
          'To: <sip:+15557650001@%s>;tag=ue11\r\n' % DOMAIN +
          'Call-ID: %s\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n' % CALL_ID)
    c.write(sys.argv[1])


if __name__ == '__main__':
    main()
