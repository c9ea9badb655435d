# SPDX-License-Identifier: LGPL-2.1-or-later
"""A minimal ONVIF Media Signing signer for tests, written from the
specification text (onvif/specs doc/MediaSigning.xml), in Python with the
`openssl` command line for ECDSA. It exists so that the verifier's tests have
signed streams to tamper with that do not come from the verifier's own code
nor depend on evidencemux; it is not a product.

Also: Annex B helpers (split a byte-stream into NAL units, classify them)
shared by the tamper tests.
"""
import hashlib
import os
import struct
import subprocess
import time

UUID = bytes.fromhex("005bc93f2d715e95ada4796f90877a6f")
SHA256_OID = bytes.fromhex("0609608648016503040201")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def split_nals(data):
    """Annex B byte-stream -> list of NAL units (no start codes)."""
    out = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        start = i + 3
        j = data.find(b"\x00\x00\x01", start)
        end = len(data) if j < 0 else j
        nal = data[start:end].rstrip(b"\x00")
        if nal:
            out.append(nal)
        i = j
    return out


def join_nals(nals):
    return b"".join(b"\x00\x00\x00\x01" + n for n in nals)


def nal_type(codec, nal):
    return nal[0] & 0x1F if codec == "h264" else (nal[0] >> 1) & 0x3F


def is_slice(codec, nal):
    t = nal_type(codec, nal)
    return t in (1, 5) if codec == "h264" else (t <= 9 or 16 <= t <= 21)


def is_idr(codec, nal):
    t = nal_type(codec, nal)
    return t == 5 if codec == "h264" else 16 <= t <= 21


def is_primary(codec, nal):
    hdr = 1 if codec == "h264" else 2
    return len(nal) > hdr and bool(nal[hdr] & 0x80)


def is_hashed_slice(codec, nal):
    """Slices Media Signing hashes (the reference ignores H.265 TSA/RASL)."""
    t = nal_type(codec, nal)
    return t in (1, 5) if codec == "h264" else (t <= 1 or 16 <= t <= 21)


def is_sei(codec, nal):
    t = nal_type(codec, nal)
    return t == 6 if codec == "h264" else t in (39, 40)


def is_signing_sei(codec, nal):
    if not is_sei(codec, nal):
        return False
    raw = remove_ep(nal)
    p = 1 if codec == "h264" else 2
    if raw[p] != 5:
        return False
    p += 1
    while raw[p] == 0xFF:
        p += 1
    p += 1
    return raw[p:p + 16] == UUID


def add_ep(data):
    out = bytearray()
    zeros = 0
    for b in data:
        if zeros >= 2 and b <= 3:
            out.append(3)
            zeros = 0
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


def remove_ep(data):
    out = bytearray()
    zeros = 0
    for b in data:
        if zeros >= 2 and b == 3:
            zeros = 0
            continue
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


def h(b):
    return hashlib.sha256(b).digest()


def tlv(tag, value):
    return struct.pack(">BH", tag, len(value)) + value


def ms_time(unix_s):
    return int((unix_s + 11644473600) * 10_000_000)


class SpecSigner:
    def __init__(self, codec, key, cert_chain_pem, workdir, attribution=None,
                 start_unix=None, fps=25):
        self.codec = codec
        self.key = key
        self.certs = read(cert_chain_pem)
        self.workdir = workdir
        self.attribution = attribution
        self.t0 = time.time() if start_unix is None else start_unix
        self.fps = fps

    def _sign(self, digest):
        din = os.path.join(self.workdir, "digest.bin")
        dout = os.path.join(self.workdir, "sig.bin")
        with open(din, "wb") as f:
            f.write(digest)
        subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", self.key,
                        "-in", din, "-out", dout], check=True)
        return read(dout)

    def _header(self, payload_size):
        hdr = b"\x06\x05" if self.codec == "h264" else b"\x4e\x01\x05"
        size = b""
        n = payload_size
        while n >= 255:
            size += b"\xff"
            n -= 255
        return hdr + size + bytes([n])

    def _sei(self, tlvs, signed):
        sig_len = 72 + 3 + 3          # ECDSA P-256 DER max, version, size
        body = b"\x00" + tlvs         # reserved byte: no flags
        payload_size = 16 + len(body) + (sig_len if signed else 0)
        doc = self._header(payload_size) + UUID + body
        if signed:
            sig = self._sign(h(doc))
            sig_val = b"\x01" + struct.pack(">H", len(sig)) + \
                sig.ljust(72, b"\x00")
            doc += tlv(3, sig_val)
        return add_ep(doc + b"\x80")

    def _gop_sei(self, counter, items, linked, start, end):
        general = (b"\x02" + bytes([26, 6, 0]) + b"\x00" +
                   struct.pack(">QQIH", ms_time(start), ms_time(end),
                               counter, len(items)) +
                   h(b"".join(items)) + linked)
        crypto = b"\x01" + bytes([len(SHA256_OID)]) + SHA256_OID + \
            b"\x00" + b"\x00\x00"
        vendor = b"\x01" + b"\x05" + b"1.0.0" + b"\x04" + b"SN42" + \
            b"\x0b" + b"spec-signer"
        tlvs = (tlv(4, crypto) + tlv(5, vendor) +
                tlv(6, b"\x01\x00" + self.certs) + tlv(1, general) +
                tlv(2, b"\x01" + b"".join(items)))
        return self._sei(tlvs, True)

    def _attribution_sei(self):
        return self._sei(tlv(7, self.attribution.encode()), False)

    def sign(self, nals):
        """Signs a list of NAL units (decoding order); returns the new list.
        A signed SEI for each GOP goes right before the slice of the IDR
        that ends it; a last one follows the final frame (end of stream)."""
        out = []
        items = []
        anchor = None
        counter = 0
        linked = b"\x00" * 32
        frame = 0
        gop_start = self.t0
        attribution_done = self.attribution is None
        for nal in nals:
            now = self.t0 + frame / self.fps
            if is_hashed_slice(self.codec, nal) and is_idr(self.codec, nal) \
                    and is_primary(self.codec, nal):
                if items:
                    counter += 1
                    out.append(self._gop_sei(counter, items, linked,
                                             gop_start, now))
                    linked = items[0]
                anchor = h(nal)
                items = [anchor]
                gop_start = now
                out.append(nal)
            elif is_hashed_slice(self.codec, nal) and anchor is not None:
                if not attribution_done and is_primary(self.codec, nal):
                    # An arbitrary-data SEI, unsigned, hashed into the GOP;
                    # it opens the access unit after the IDR.
                    sei = self._attribution_sei()
                    out.append(sei)
                    items.append(h(sei))
                    attribution_done = True
                items.append(h(anchor + h(nal)))
                out.append(nal)
            else:
                out.append(nal)
            if is_slice(self.codec, nal) and is_primary(self.codec, nal):
                frame += 1
        if items:
            counter += 1
            out.append(self._gop_sei(counter, items, linked, gop_start,
                                     self.t0 + frame / self.fps))
        return out
