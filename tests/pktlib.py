# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by the Python capture generators of the tests (hostile.py,
attacks.py, audio-hostile.py, evict.py): the Internet checksum
(RFC 1071) their IPv4 headers carry."""

import struct


def csum(b):
    """One's-complement sum of 16-bit words, complemented (RFC 1071)."""
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF
