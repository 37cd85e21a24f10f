#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""HEP v3 collector for tests/hep.sh (an independent decoder, not calltap's).

  hep_collect.py udp|tcp PORTFILE OUT.pcap OUT.meta [OUT.qos]
      Listens on 127.0.0.1 (port 0: the kernel's choice, written to PORTFILE),
      decodes every HEP v3 packet and writes the payload of each SIP one
      (type 1) as a UDP datagram with the HEP addresses, ports and time into
      OUT.pcap (raw IP), so that tshark decodes the SIP exactly as in the
      input; OUT.meta gets one line per SIP packet: ip_proto proto_type
      capture_id auth_key correlation_id.  Packets of any other type go to
      OUT.qos (when given, else they are an error), one JSON object per line:
      their chunks (proto, type, id, key, cid, src, sport, dst, dport, ts_us)
      and "body", the payload parsed as JSON.
      UDP ends on a datagram "STOP"; TCP when the one connection closes.
  hep_collect.py fields CAPTURE
      The SIP messages of CAPTURE as tshark sees them, one normalised line
      each: time(us) src sport dst dport Call-ID method-or-status.
"""
import ipaddress
import json
import os
import socket
import struct
import subprocess
import sys


def decode(pkt):
    if pkt[:4] != b"HEP3" or struct.unpack("!H", pkt[4:6])[0] != len(pkt):
        raise ValueError("bad HEP3 header")
    off, c = 6, {}
    while off < len(pkt):
        vendor, typ, clen = struct.unpack("!HHH", pkt[off:off + 6])
        if clen < 6 or off + clen > len(pkt):
            raise ValueError("bad chunk")
        if vendor == 0:
            c[typ] = pkt[off + 6:off + clen]
        off += clen
    return c


def pcap_record(out, c):
    fam = c[1][0]
    src, dst = (c[3], c[4]) if fam == 2 else (c[5], c[6])
    payload = c[0x0f]
    udp = struct.pack("!HHHH", struct.unpack("!H", c[7])[0], struct.unpack("!H", c[8])[0],
                      8 + len(payload), 0) + payload
    if fam == 2:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
    else:
        ip = struct.pack("!IHBB16s16s", 6 << 28, len(udp), 17, 64, src, dst)
    frame = ip + udp
    sec = struct.unpack("!I", c[9])[0]
    usec = struct.unpack("!I", c[10])[0]
    out.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)


def meta_line(c):
    return "%d %d %d %s %s\n" % (c[2][0], c[0x0b][0], struct.unpack("!I", c[0x0c])[0],
                                 c.get(0x0e, b"-").decode(), c.get(0x11, b"-").decode())


def qos_line(c):
    fam = c[1][0]
    src, dst = (c[3], c[4]) if fam == 2 else (c[5], c[6])
    return json.dumps({
        "proto": c[2][0], "type": c[0x0b][0], "id": struct.unpack("!I", c[0x0c])[0],
        "key": c.get(0x0e, b"").decode(), "cid": c.get(0x11, b"").decode(),
        "src": str(ipaddress.ip_address(src)), "sport": struct.unpack("!H", c[7])[0],
        "dst": str(ipaddress.ip_address(dst)), "dport": struct.unpack("!H", c[8])[0],
        "ts_us": struct.unpack("!I", c[9])[0] * 1000000 + struct.unpack("!I", c[10])[0],
        "body": json.loads(c[0x0f].decode())}) + "\n"


def collect(proto, portfile, pcap, meta, qosfile=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("127.0.0.1", 0))
    if proto == "tcp":
        s.listen(1)
    s.settimeout(60)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    qos = open(qosfile, "w") if qosfile else None

    def take(c):
        if c[0x0b][0] == 1:
            pcap_record(out, c)
            m.write(meta_line(c))
        elif qos is not None:
            qos.write(qos_line(c))
        else:
            raise ValueError("HEP type %d, not SIP" % c[0x0b][0])

    with open(pcap, "wb") as out, open(meta, "w") as m:
        out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
        if proto == "udp":
            while True:
                pkt = s.recv(65535)
                if pkt == b"STOP":
                    break
                take(decode(pkt))
        else:
            conn, _ = s.accept()
            conn.settimeout(60)
            buf = b""
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                buf += data
                while len(buf) >= 6:
                    n = struct.unpack("!H", buf[4:6])[0]
                    if len(buf) < n:
                        break
                    c = decode(buf[:n])
                    buf = buf[n:]
                    take(c)
            if buf:
                raise ValueError("%d bytes of a cut packet at the end" % len(buf))
    if qos is not None:
        qos.close()


def fields(capture):
    cmd = ["tshark", "-n", "-r", capture, "-Y", "sip", "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=|",
           "-e", "frame.time_epoch", "-e", "ip.src", "-e", "ipv6.src", "-e", "ip.dst",
           "-e", "ipv6.dst", "-e", "udp.srcport", "-e", "tcp.srcport", "-e", "udp.dstport",
           "-e", "tcp.dstport", "-e", "sip.Call-ID", "-e", "sip.Method", "-e", "sip.Status-Code"]
    res = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True)
    for line in res.stdout.splitlines():
        t, s4, s6, d4, d6, us, ts, ud, td, cid, meth, code = line.split("\t")
        sec, _, frac = t.partition(".")
        t_us = int(sec) * 1000000 + int((frac + "000000")[:6])
        # A frame carrying several messages (TCP) lists each one's values.
        cids, meths, codes = cid.split("|"), meth.split("|"), code.split("|")
        for i, c in enumerate(cids):
            what = meths[i] if i < len(meths) and meths[i] else (codes[i] if i < len(codes) else "")
            print("%d %s %s %s %s %s %s" % (t_us, (s4 or s6).split("|")[-1], (us or ts).split("|")[-1],
                                            (d4 or d6).split("|")[-1], (ud or td).split("|")[-1],
                                            c, what))


if __name__ == "__main__":
    if sys.argv[1] == "fields":
        fields(sys.argv[2])
    else:
        collect(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4],
                sys.argv[5] if len(sys.argv) > 5 else None)
