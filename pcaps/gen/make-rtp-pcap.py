#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Writes a small pcap (Ethernet/IPv4/UDP) of one G.711 mu-law RTP stream
# (payload type 0, 20 ms packets of 160 samples) carrying a sine tone, for
# SIPp's <exec play_pcap_audio="..."/>.  SIPp keeps the RTP header and
# payload and rewrites the addresses and ports, so the ones written here are
# placeholders.  Usage: make-rtp-pcap.py OUT FREQ_HZ SECONDS SSRC_HEX
# References: RFC 3550 (RTP header), RFC 3551 (PT 0 PCMU), ITU-T G.711.
import math
import struct
import sys


def ulaw(sample):
    """G.711 mu-law encoding of one 16-bit linear sample."""
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    mag = min(-sample if sample < 0 else sample, clip) + bias
    exp = 7
    while exp > 0 and not mag & (0x4000 >> (7 - exp)):
        exp -= 1
    mant = (mag >> (exp + 3)) & 0x0F
    return ~(sign | (exp << 4) | mant) & 0xFF


def main():
    out, freq, secs, ssrc = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4], 16)
    npkt = int(secs * 50)
    base = 1700000000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(npkt):
            pay = bytes(ulaw(int(8000 * math.sin(2 * math.pi * freq * (i * 160 + n) / 8000)))
                        for n in range(160))
            rtp = struct.pack("!BBHII", 0x80, 0x80 if i == 0 else 0, (1000 + i) & 0xFFFF,
                              (160000 + i * 160) & 0xFFFFFFFF, ssrc) + pay
            udp = struct.pack("!HHHH", 6000, 6100, 8 + len(rtp), 0) + rtp
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                             bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
            frame = b"\x00" * 12 + b"\x08\x00" + ip + udp
            usec = i * 20000
            f.write(struct.pack("<IIII", base + usec // 1000000, usec % 1000000, len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main()
