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
  hep_collect.py qos-check RECORDS.jsonl OUT.qos CAPTURE ID KEY
      Checks the quality reports of OUT.qos against calltap's records and
      tshark's RTP of CAPTURE: one report per stream of each record (HEP type
      34, UDP, agent ID, auth key, correlation id = Call-ID, the stream's
      addresses and ports in the HEP chunks and the body), every figure equal
      to the record's, and packets, first and last packet time equal to
      tshark's for that stream (SSRC and ports); the HEP time is the last
      packet's.  Prints one line per report; exit 1 at the first difference.
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


def iso_us(text):
    """2021-01-01T00:00:00.123456Z -> microseconds since the epoch."""
    import datetime
    d = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1000000 + d.microsecond


def tshark_rtp(capture):
    """(src, sport, dst, dport, ssrc) -> [packets, first_us, last_us] as tshark sees RTP."""
    cmd = ["tshark", "-n", "-r", capture, "-Y", "rtp.ssrc", "-T", "fields", "-E", "separator=\t",
           "-e", "frame.time_epoch", "-e", "ip.src", "-e", "ipv6.src", "-e", "udp.srcport",
           "-e", "ip.dst", "-e", "ipv6.dst", "-e", "udp.dstport", "-e", "rtp.ssrc"]
    res = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True)
    out = {}
    for line in res.stdout.splitlines():
        t, s4, s6, sp, d4, d6, dp, ssrc = line.split("\t")
        sec, _, frac = t.partition(".")
        t_us = int(sec) * 1000000 + int((frac + "000000")[:6])
        key = ((s4 or s6).split(",")[-1], int(sp.split(",")[-1]), (d4 or d6).split(",")[-1],
               int(dp.split(",")[-1]), int(ssrc.split(",")[-1], 16))
        v = out.setdefault(key, [0, t_us, t_us])
        v[0] += 1
        v[1] = min(v[1], t_us)
        v[2] = max(v[2], t_us)
    return out


def endpoint(text):
    """"1.2.3.4:5" or "[::1]:5" -> (address, port)."""
    host, _, port = text.rpartition(":")
    return str(ipaddress.ip_address(host.strip("[]"))), int(port)


def qos_check(records, qosfile, capture, agent_id, key):
    reports = [json.loads(line) for line in open(qosfile)]
    rtp = tshark_rtp(capture)
    n = 0
    for line in open(records):
        r = json.loads(line)
        for st in r["streams"]:
            src, sport = endpoint(st["src"])
            dst, dport = endpoint(st["dst"])
            mine = [q for q in reports if q["cid"] == r["call_id"] and q["src"] == src and
                    q["sport"] == sport and q["dst"] == dst and q["dport"] == dport]
            if len(mine) != 1:
                sys.exit("%s %s -> %s: %d reports" % (r["call_id"], st["src"], st["dst"], len(mine)))
            q = mine[0]
            b = q["body"]
            want = {
                "CORRELATION_ID": r["call_id"], "RTP_SIP_CALL_ID": r["call_id"], "TYPE": "HANGUP",
                "SRC_IP": src, "SRC_PORT": sport, "DST_IP": dst, "DST_PORT": dport,
                "SSRC": int(st["ssrc"], 16), "TOTAL_PK": st["packets"],
                "EXPECTED_PK": max(st["packets"] + st["lost"], 0), "PACKET_LOSS": st["lost"],
                "LOSS_PCT": st["loss_pct"], "DUP_PK": st["duplicates"],
                "OUT_ORDER": st["out_of_order"], "JITTER": st["mean_jitter_ms"],
                "MEAN_JITTER": st["mean_jitter_ms"], "MAX_JITTER": st["max_jitter_ms"],
                "MAX_DELTA": st["max_delta_ms"]}
            if st["mos"] is not None:
                want["MOS"] = st["mos"]
            if st["payload_type"] is not None:
                want["CODEC_PT"] = st["payload_type"]
            if st["codec"] is not None:
                want["CODEC_NAME"] = st["codec"]
            for k, v in want.items():
                if b.get(k) != v:
                    sys.exit("%s %s: %s is %r, the record says %r" % (r["call_id"], st["src"], k,
                                                                     b.get(k), v))
            extra = set(b) - set(want) - {"REPORT_TS", "START_TIME", "END_TIME"}
            if extra:
                sys.exit("%s %s: keys not checked: %s" % (r["call_id"], st["src"], sorted(extra)))
            if (q["proto"], q["type"], q["id"], q["key"]) != (17, 34, agent_id, key):
                sys.exit("%s %s: chunks %r" % (r["call_id"], st["src"], q))
            start, end = iso_us(b["START_TIME"]), iso_us(b["END_TIME"])
            if q["ts_us"] != end or b["REPORT_TS"] != end // 1000000:
                sys.exit("%s %s: HEP time %d, REPORT_TS %d, END_TIME %d" % (
                    r["call_id"], st["src"], q["ts_us"], b["REPORT_TS"], end))
            t = rtp.get((src, sport, dst, dport, int(st["ssrc"], 16)))
            if t != [st["packets"], start, end]:
                sys.exit("%s %s: packets, first, last %r; tshark %r" % (
                    r["call_id"], st["src"], [st["packets"], start, end], t))
            n += 1
            print("%s %s -> %s: %d packets, %d lost, jitter %s/%s ms, MOS %s" % (
                r["call_id"], st["src"], st["dst"], b["TOTAL_PK"], b["PACKET_LOSS"],
                b["MEAN_JITTER"], b["MAX_JITTER"], b.get("MOS")))
    if n != len(reports):
        sys.exit("%d reports for %d streams" % (len(reports), n))


if __name__ == "__main__":
    if sys.argv[1] == "qos-check":
        qos_check(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    elif sys.argv[1] == "fields":
        fields(sys.argv[2])
    else:
        collect(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4],
                sys.argv[5] if len(sys.argv) > 5 else None)
