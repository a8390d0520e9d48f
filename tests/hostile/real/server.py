#!/usr/bin/python3
"""A scripted hostile HTTP/2 server over real sockets (optionally TLS).

    /usr/bin/python3 server.py [--port N] [--port-file F] [--certs DIR]
                               [--timeout S] SCENARIO
    /usr/bin/python3 server.py --list

It listens on 127.0.0.1 (port 0 = the kernel picks one; the port is printed
as "PORT n" on stdout and written to --port-file), accepts the scenario's
connections one after another (each handled in its own thread, so a client
may open the next one while the first is still busy), replays the
scenario's actions on each, and exits once all of them are done, or after
--timeout seconds whatever happens. A connection beyond the scenario's list
is logged ("extra connection") and handled with the last action list.

Everything the client sends is parsed (hyperframe, hpack) and logged on
stderr, one line per frame ("recv GOAWAY last=0 code=11 ..."), together with
what the server did ("sent body stream=1 len=... sha256=..."), so the test
can check both sides. Needs Debian's python3-hyperframe and python3-hpack,
hence /usr/bin/python3.

Scenarios are the SCENARIOS table at the end of this file: per connection, a
list of actions (tuples). TLS options are per scenario: certificate, ALPN
(offered list, none, or forced to a protocol the client never offered, via
ctypes on Python's SSL_CTX), TLS versions, cipher list, client certificate.
"""
import argparse
import ctypes
import ctypes.util
import hashlib
import os
import random
import select
import socket
import ssl
import struct
import sys
import threading
import warnings
import time

import hpack
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame,
                              HeadersFrame, PingFrame, RstStreamFrame,
                              SettingsFrame, WindowUpdateFrame)

warnings.filterwarnings("ignore", category=DeprecationWarning)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
T_DATA, T_HEADERS, T_PRIORITY, T_RST, T_SETTINGS, T_PUSH, T_PING, T_GOAWAY, \
    T_WINDOW_UPDATE, T_CONTINUATION = range(10)
F_END_STREAM, F_ACK, F_END_HEADERS, F_PADDED = 0x1, 0x1, 0x4, 0x8
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, REFUSED_STREAM, ENHANCE_YOUR_CALM = 0, 1, 2, 7, 11

_log_lock = threading.Lock()
_start = time.monotonic()


def log(msg):
    with _log_lock:
        sys.stderr.write("[%6.3f] %s\n" % (time.monotonic() - _start, msg))
        sys.stderr.flush()


# ---- Byte builders ---------------------------------------------------------

def frame(ftype, flags, sid, payload=b""):
    """A raw frame: any type, flags, stream and length (even wrong ones)."""
    n = len(payload)
    return struct.pack(">BHBBI", n >> 16, n & 0xFFFF, ftype, flags,
                       sid & 0xFFFFFFFF) + payload


def hp_int(prefix_bits, first, value):
    """An HPACK integer with `prefix_bits` bits of prefix, `first` the high
    bits of the first octet."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def hp_lit(name, value, first=0x00):
    """A literal field with a new (not indexed) name, no Huffman: 0x00 =
    without indexing, 0x40 = with incremental indexing."""
    name, value = name.encode(), value.encode() if isinstance(value, str) else value
    return bytes([first]) + hp_int(7, 0, len(name)) + name + \
        hp_int(7, 0, len(value)) + value


def random_body(n, seed):
    return random.Random(seed).randbytes(n)


def path_body(path, n):
    """A readable body that names the path it answers, exactly n bytes."""
    unit = ("%s\n" % path).encode()
    return (unit * (n // len(unit) + 1))[:n]


def sha(data):
    return hashlib.sha256(data).hexdigest()


def hpack_bomb_block(refs=16000):
    """:status 200, x: 4,063 b's added to the table (an entry of 4,096
    bytes), then `refs` one-byte references to it (~64 MB decoded)."""
    return b"\x88" + hp_lit("x", "b" * 4063, 0x40) + b"\xbe" * refs


def headers_frames(sid, block, end_stream, fragment=16384):
    """HEADERS (+ CONTINUATIONs) carrying a raw block."""
    out, first = [], True
    chunks = [block[i:i + fragment] for i in range(0, len(block), fragment)] or [b""]
    for i, chunk in enumerate(chunks):
        flags = F_END_HEADERS if i == len(chunks) - 1 else 0
        if first:
            out.append(frame(T_HEADERS, flags | (F_END_STREAM if end_stream else 0),
                             sid, chunk))
            first = False
        else:
            out.append(frame(T_CONTINUATION, flags, sid, chunk))
    return b"".join(out)


# ---- ctypes access to Python's OpenSSL objects (for what ssl cannot do) ----

_libssl = None


def libssl():
    global _libssl
    if _libssl is None:
        # The libssl Python's _ssl module is linked with (already loaded).
        name = None
        with open("/proc/self/maps") as maps:
            for line in maps:
                if "libssl.so" in line:
                    name = line.split()[-1]
                    break
        _libssl = ctypes.CDLL(name or ctypes.util.find_library("ssl"))
        _libssl.SSL_CTX_get_verify_mode.argtypes = [ctypes.c_void_p]
        _libssl.SSL_CTX_get_verify_mode.restype = ctypes.c_int
        _libssl.SSL_get_SSL_CTX.argtypes = [ctypes.c_void_p]
        _libssl.SSL_get_SSL_CTX.restype = ctypes.c_void_p
        _libssl.SSL_CTX_set_alpn_select_cb.argtypes = [
            ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        _libssl.SSL_renegotiate.argtypes = [ctypes.c_void_p]
        _libssl.SSL_do_handshake.argtypes = [ctypes.c_void_p]
        _libssl.SSL_get_error.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return _libssl


def ssl_ctx_pointer(ctx):
    """The SSL_CTX* of an ssl.SSLContext: the first field after the object
    header of CPython's PySSLContext. Checked through the verify mode."""
    ptr = ctypes.c_void_p.from_address(id(ctx) + object.__basicsize__).value
    lib = libssl()
    saved = ctx.verify_mode
    ok = True
    for mode, want in ((ssl.CERT_NONE, 0), (ssl.CERT_OPTIONAL, 1)):
        ctx.verify_mode = mode
        ok = ok and lib.SSL_CTX_get_verify_mode(ptr) == want
    ctx.verify_mode = saved
    if not ok:
        raise RuntimeError("cannot locate the SSL_CTX of this Python build")
    return ptr


def ssl_pointer(sslsock, ctx_ptr):
    """The SSL* of an SSLSocket: after PyObject_HEAD and the socket
    weakref in CPython's PySSLSocket. Checked through SSL_get_SSL_CTX."""
    obj = sslsock._sslobj
    ptr = ctypes.c_void_p.from_address(id(obj) + object.__basicsize__ + 8).value
    if libssl().SSL_get_SSL_CTX(ptr) != ctx_ptr:
        raise RuntimeError("cannot locate the SSL of this Python build")
    return ptr


_ALPN_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p,
                            ctypes.POINTER(ctypes.c_void_p),
                            ctypes.POINTER(ctypes.c_ubyte), ctypes.c_void_p,
                            ctypes.c_uint, ctypes.c_void_p)
_keep_alive = []


def force_alpn(ctx, protocol):
    """Makes the server select `protocol` whatever the client offered
    (Python's own callback answers no ALPN when nothing overlaps)."""
    proto = ctypes.create_string_buffer(protocol.encode(), len(protocol))

    def select_cb(_ssl, out, outlen, _in, _inlen, _arg):
        out[0] = ctypes.cast(proto, ctypes.c_void_p).value
        outlen[0] = len(protocol)
        return 0  # SSL_TLSEXT_ERR_OK

    cb = _ALPN_CB(select_cb)
    _keep_alive.extend([proto, cb])
    libssl().SSL_CTX_set_alpn_select_cb(ssl_ctx_pointer(ctx),
                                        ctypes.cast(cb, ctypes.c_void_p), None)


TLS_VERSIONS = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1,
                "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def make_tls_context(opt, certs):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert = opt.get("cert", "server")
    ctx.load_cert_chain(os.path.join(certs, cert + ".pem"),
                        os.path.join(certs, cert + ".key"))
    if "ciphers" in opt:
        ctx.set_ciphers(opt["ciphers"])
    if "min" in opt:
        ctx.minimum_version = TLS_VERSIONS[opt["min"]]
    if "max" in opt:
        ctx.maximum_version = TLS_VERSIONS[opt["max"]]
    if opt.get("client_cert"):
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(os.path.join(certs, "ca.pem"))
    if opt.get("post_handshake_auth"):
        ctx.post_handshake_auth = True
        ctx.load_verify_locations(os.path.join(certs, "ca.pem"))
    alpn = opt.get("alpn", ["h2"])
    if isinstance(alpn, str) and alpn.startswith("force:"):
        force_alpn(ctx, alpn[len("force:"):])
    elif alpn:
        ctx.set_alpn_protocols(alpn)
    # alpn None/[]: no ALPN callback at all, the server selects nothing.
    return ctx


# ---- One connection --------------------------------------------------------

class PeerGone(Exception):
    """The client went away (EOF, reset, TLS failure) while we were busy."""


class Conn:
    def __init__(self, index, sock, tls_ctx=None, ctx_ptr=None):
        self.index = index
        self.raw = sock
        self.sock = sock
        self.tls_ctx, self.ctx_ptr = tls_ctx, ctx_ptr
        self.inbuf = bytearray()
        self.preface_seen = False
        self.settings_seen = False
        self.settings_sent = False
        self.reading = True
        self.eof = False
        self.closed = False
        self.drip = 0.0
        self.decoder = hpack.Decoder()
        self.encoder = hpack.Encoder()
        self.block = None           # (stream, bytes) of a header block in progress
        self.requests = []          # stream ids in arrival order
        self.paths = {}             # stream id -> :path
        self.answered = set()
        self.goaways = []           # (last, code, debug)
        self.rsts = []              # (stream, code)
        self.replies = []           # auto replies (SETTINGS ACK, PING ACK)
        self.hold_pings = False     # keep PING ACKs back ("hold_pings")
        self.held_pings = []        # their payloads, until "release_pings"
        self.peer_initial_window = 65535
        self.peer_max_frame = 16384
        self.conn_window = 65535
        self.stream_windows = {}
        self.bytes_sent = 0

    def say(self, msg):
        log("conn %d: %s" % (self.index, msg))

    # -- reading --

    def _read_some(self):
        try:
            data = self.sock.recv(65536)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            return
        except (ConnectionError, ssl.SSLError, OSError) as e:
            self.say("read error: %s" % e)
            self.eof = True
            return
        if not data:
            self.say("recv EOF")
            self.eof = True
            return
        self.inbuf += data
        # TLS may hold more decrypted bytes than select() can see.
        while isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            try:
                self.inbuf += self.sock.recv(65536)
            except (ssl.SSLError, OSError):
                break
        self._parse()

    def _parse(self):
        if not self.preface_seen:
            if len(self.inbuf) < len(PREFACE):
                return
            if bytes(self.inbuf[:len(PREFACE)]) != PREFACE:
                self.say("recv bad preface %r" % bytes(self.inbuf[:24]))
                self.eof = True
                return
            self.say("recv preface")
            del self.inbuf[:len(PREFACE)]
            self.preface_seen = True
        while len(self.inbuf) >= 9:
            f, length = Frame.parse_frame_header(memoryview(bytes(self.inbuf[:9])))
            if len(self.inbuf) < 9 + length:
                return
            body = bytes(self.inbuf[9:9 + length])
            del self.inbuf[:9 + length]
            try:
                f.parse_body(memoryview(body))
            except Exception as e:  # a frame we cannot parse: log it raw
                self.say("recv unparsable frame type=%d: %s" % (f.type, e))
                continue
            self._on_frame(f)

    def _on_frame(self, f):
        if isinstance(f, SettingsFrame):
            if "ACK" in f.flags:
                self.say("recv SETTINGS ACK")
                return
            self.say("recv SETTINGS %s" % dict(f.settings))
            self.settings_seen = True
            for k, v in f.settings.items():
                if k == SettingsFrame.INITIAL_WINDOW_SIZE:
                    delta = v - self.peer_initial_window
                    self.peer_initial_window = v
                    for s in self.stream_windows:
                        self.stream_windows[s] += delta
                elif k == SettingsFrame.MAX_FRAME_SIZE:
                    self.peer_max_frame = v
            self.replies.append(frame(T_SETTINGS, F_ACK, 0))
        elif isinstance(f, (HeadersFrame, ContinuationFrame)):
            if isinstance(f, HeadersFrame):
                self.block = (f.stream_id, bytes(f.data), "END_STREAM" in f.flags)
            elif self.block:
                self.block = (self.block[0], self.block[1] + bytes(f.data), self.block[2])
            if "END_HEADERS" in f.flags and self.block:
                sid, block, end = self.block
                self.block = None
                fields = self.decoder.decode(block)
                d = dict(fields)
                if sid not in self.stream_windows:
                    self.requests.append(sid)
                    self.paths[sid] = d.get(":path", "?")
                    self.stream_windows[sid] = self.peer_initial_window
                    self.say("recv HEADERS stream=%d %s %s%s" % (
                        sid, d.get(":method"), d.get(":path"),
                        " END_STREAM" if end else ""))
                else:
                    self.say("recv trailers stream=%d" % sid)
        elif isinstance(f, DataFrame):
            self.say("recv DATA stream=%d len=%d%s" % (
                f.stream_id, len(f.data), " END_STREAM" if "END_STREAM" in f.flags else ""))
        elif isinstance(f, WindowUpdateFrame):
            if f.stream_id == 0:
                self.conn_window += f.window_increment
            elif f.stream_id in self.stream_windows:
                self.stream_windows[f.stream_id] += f.window_increment
        elif isinstance(f, PingFrame):
            if "ACK" in f.flags:
                self.say("recv PING ACK")
            elif self.hold_pings:
                self.held_pings.append(bytes(f.opaque_data))
                self.say("recv PING %r (ACK held)" % bytes(f.opaque_data))
            else:
                self.replies.append(frame(T_PING, F_ACK, 0, bytes(f.opaque_data)))
        elif isinstance(f, GoAwayFrame):
            debug = bytes(f.additional_data)
            self.goaways.append((f.last_stream_id, f.error_code, debug))
            self.say("recv GOAWAY last=%d code=%d debug=%r" % (
                f.last_stream_id, f.error_code, debug[:200]))
        elif isinstance(f, RstStreamFrame):
            self.rsts.append((f.stream_id, f.error_code))
            self.say("recv RST_STREAM stream=%d code=%d" % (f.stream_id, f.error_code))
        else:
            self.say("recv frame type=%d stream=%d" % (f.type, f.stream_id))

    def pump(self, timeout):
        """Waits up to `timeout` for input and reads it (when reading)."""
        if not self.reading or self.eof:
            time.sleep(timeout)
            return
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            self._read_some()
            return
        r, _, _ = select.select([self.sock], [], [], timeout)
        if r:
            self._read_some()

    def wait_for(self, what, pred, timeout=5.0):
        deadline = time.monotonic() + timeout
        while not pred():
            if self.eof:
                raise PeerGone("EOF while waiting for %s" % what)
            left = deadline - time.monotonic()
            if left <= 0:
                raise PeerGone("timed out waiting for %s" % what)
            self.pump(min(left, 0.2))
            self.flush_replies()

    # -- writing --

    def send(self, data, flush=True):
        """Sends all of `data`, reading (when reading) while the socket is
        full, byte by byte when dripping."""
        if self.closed:
            raise PeerGone("connection already closed")
        if self.drip:
            for i in range(len(data)):
                self._send_all(data[i:i + 1])
                time.sleep(self.drip)
                self.pump(0)
        else:
            self._send_all(data)
        if flush:
            self.flush_replies()

    def _send_all(self, data):
        view = memoryview(data)
        deadline = time.monotonic() + 10
        while view:
            if time.monotonic() > deadline:
                raise PeerGone("send stalled for 10 s")
            rl = [self.sock] if self.reading and not self.eof else []
            r, w, _ = select.select(rl, [self.sock], [], 0.2)
            if r:
                self._read_some()
            if not w:
                continue
            try:
                n = self.sock.send(view[:65536])
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                continue
            except (ConnectionError, ssl.SSLError, OSError) as e:
                raise PeerGone("send failed after %d bytes: %s" % (self.bytes_sent, e))
            self.bytes_sent += n
            view = view[n:]

    def flush_replies(self):
        # Nothing goes out before our own SETTINGS (a preface must come first).
        while self.replies and not self.closed and self.settings_sent:
            r = self.replies.pop(0)
            self.send(r, flush=False)

    def stream(self, ref):
        """A stream given as an int, "req:N" (the Nth request) or "path:/x"."""
        if isinstance(ref, int):
            return ref
        kind, _, arg = ref.partition(":")
        if kind == "req":
            self.wait_for("request %s" % arg, lambda: len(self.requests) > int(arg))
            return self.requests[int(arg)]
        if kind == "path":
            self.wait_for("request for %s" % arg, lambda: arg in self.paths.values())
            return [s for s, p in self.paths.items() if p == arg][0]
        raise ValueError(ref)

    def send_data(self, sid, data, end_stream):
        """DATA within the client's flow-control windows."""
        off = 0
        while True:
            left = len(data) - off
            if left == 0 and off > 0:
                break
            self.stream_windows.setdefault(sid, self.peer_initial_window)
            if left:
                self.wait_for("window on stream %d" % sid,
                              lambda: min(self.conn_window, self.stream_windows[sid]) > 0)
            n = min(left, self.conn_window, self.stream_windows[sid], self.peer_max_frame)
            last = off + n == len(data)
            self.send(frame(T_DATA, F_END_STREAM if last and end_stream else 0, sid,
                            data[off:off + n]))
            self.conn_window -= n
            self.stream_windows[sid] -= n
            off += n
            if last:
                break

    def send_headers(self, sid, fields, end_stream):
        block = self.encoder.encode(fields, huffman=True)
        self.send(headers_frames(sid, block, end_stream, self.peer_max_frame))

    def respond(self, sid, size):
        path = self.paths.get(sid, "?")
        body = path_body(path, size)
        self.send_headers(sid, [(":status", "200"), ("content-type", "text/plain"),
                                ("content-length", str(size))], False)
        self.send_data(sid, body, True)
        self.answered.add(sid)
        self.say("sent body stream=%d path=%s len=%d sha256=%s" % (sid, path, size, sha(body)))

    # -- ending --

    def drain(self, secs):
        """Reads (when reading) until EOF or `secs` pass."""
        deadline = time.monotonic() + secs
        while not self.eof and time.monotonic() < deadline:
            self.pump(min(0.2, deadline - time.monotonic()))
            try:
                self.flush_replies()
            except PeerGone:
                break

    def close(self, how="graceful"):
        if self.closed:
            return
        self.closed = True
        try:
            if how == "reset":
                self.raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
            elif how == "tls_abort":
                # Shut the TCP connection under TLS: no close_notify can follow.
                dup = socket.socket(fileno=os.dup(self.sock.fileno()))
                dup.shutdown(socket.SHUT_RDWR)
                dup.close()
            elif how == "close_notify":
                self.sock.setblocking(True)
                self.sock.settimeout(2)
                self.sock = self.sock.unwrap()
                self.sock.shutdown(socket.SHUT_WR)
            elif how == "graceful":
                self.sock.shutdown(socket.SHUT_WR)
        except (OSError, ssl.SSLError, ValueError) as e:
            self.say("close (%s): %s" % (how, e))
        if how in ("graceful", "close_notify"):
            # Let the client read everything and answer before the close.
            self.closed = False
            self.drain(2)
            self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass
        if self.sock is not self.raw:
            try:
                self.raw.close()
            except OSError:
                pass
        self.say("closed (%s)" % how)


def run_actions(c, actions):
    for a in actions:
        op, args = a[0], a[1:]
        if c.closed and op not in ("sleep",):
            c.say("connection closed: skipping %s" % op)
            continue
        c.flush_replies()
        if op == "settings":
            payload = b"".join(struct.pack(">HI", k, v) for k, v in (args[0] if args else {}).items())
            c.settings_sent = True
            c.send(frame(T_SETTINGS, 0, 0, payload))
        elif op == "settings_ack":
            c.send(frame(T_SETTINGS, F_ACK, 0))
        elif op == "wait_preface":
            c.wait_for("the client's SETTINGS", lambda: c.settings_seen,
                       args[0] if args else 5)
        elif op == "wait_requests":
            n = args[0]
            c.wait_for("%d requests" % n, lambda: len(c.requests) >= n)
        elif op == "headers":
            c.send_headers(c.stream(args[0]), args[1], args[2])
        elif op == "raw_headers":  # stream, raw block, end_stream[, fragment]
            c.send(headers_frames(c.stream(args[0]), args[1], args[2],
                                  args[3] if len(args) > 3 else 16384))
        elif op == "data":  # stream, bytes, end_stream (flow-controlled)
            sid = c.stream(args[0])
            c.send_data(sid, args[1], args[2])
            c.say("sent data stream=%d len=%d sha256=%s" % (sid, len(args[1]), sha(args[1])))
        elif op == "respond":  # stream, size
            c.respond(c.stream(args[0]), args[1])
        elif op == "serve":  # count[, size]: answer requests as they come
            n, size = args[0], args[1] if len(args) > 1 else 1000
            for i in range(n):
                c.wait_for("request to serve", lambda: any(
                    s not in c.answered for s in c.requests))
                sid = [s for s in c.requests if s not in c.answered][0]
                c.respond(sid, size)
        elif op == "refuse":  # seconds: RST_STREAM(REFUSED_STREAM) to every request
            end = time.monotonic() + args[0]
            while time.monotonic() < end and not c.eof:
                for sid in [s for s in c.requests if s not in c.answered]:
                    c.send(frame(T_RST, 0, sid, struct.pack(">I", REFUSED_STREAM)))
                    c.answered.add(sid)
                    c.say("sent RST_STREAM stream=%d REFUSED_STREAM" % sid)
                c.pump(0.05)
        elif op == "frame":  # type, flags, stream, payload (raw, unchecked)
            sid = args[2] if isinstance(args[2], int) else c.stream(args[2])
            c.send(frame(args[0], args[1], sid, args[3]))
        elif op == "raw":
            c.send(args[0], flush=False)
            c.say("sent raw %d bytes" % len(args[0]))
        elif op == "goaway":  # last, code, debug
            c.send(frame(T_GOAWAY, 0, 0, struct.pack(">II", args[0], args[1]) + args[2]))
            c.say("sent GOAWAY last=%d code=%d debug=%d bytes" % (args[0], args[1], len(args[2])))
        elif op == "flood":  # unit bytes, count[, batch, pause]: big writes, or
            # `batch` units at a time `pause` seconds apart
            unit, count = args[0], args[1]
            per = args[2] if len(args) > 2 else max(1, 65536 // max(1, len(unit)))
            pause = args[3] if len(args) > 3 else 0
            sent = 0
            try:
                while sent < count:
                    k = min(per, count - sent)
                    c.send(unit * k, flush=False)
                    sent += k
                    if pause:
                        time.sleep(pause)
            finally:
                c.say("flood: sent %d of %d units (%d bytes each)" % (sent, count, len(unit)))
        elif op == "sleep":
            end = time.monotonic() + args[0]
            while time.monotonic() < end:
                c.pump(min(0.05, max(0, end - time.monotonic())))
        elif op == "hold_pings":  # PINGs are logged, their ACKs kept back
            c.hold_pings = True
        elif op == "release_pings":  # the held ACKs go out; no more holding
            # Logged before sending: whatever the client sends in reply
            # must be logged after this line.
            c.hold_pings = False
            held, c.held_pings = c.held_pings, []
            c.say("releasing %d held PING ACK(s)" % len(held))
            for opaque in held:
                c.send(frame(T_PING, F_ACK, 0, opaque))
        elif op == "wait_rsts":  # count: until that many RST_STREAMs arrived
            c.wait_for("%d RST_STREAMs" % args[0], lambda: len(c.rsts) >= args[0])
        elif op == "stop_reading":
            c.reading = False
            c.say("stopped reading")
        elif op == "drip":
            c.drip = args[0]
        elif op == "drain":
            c.drain(args[0])
        elif op == "expect_goaway":
            try:
                c.wait_for("GOAWAY", lambda: c.goaways, args[0] if args else 5)
            except PeerGone as e:
                c.say("no GOAWAY: %s" % e)
        elif op == "close":
            c.close("graceful")
        elif op == "reset":
            c.close("reset")
        elif op == "tls_abort":
            c.close("tls_abort")
        elif op == "tls_close_notify":
            c.close("close_notify")
        elif op == "renegotiate":
            lib = libssl()
            ptr = ssl_pointer(c.sock, c.ctx_ptr)
            rv = lib.SSL_renegotiate(ptr)
            hs = lib.SSL_do_handshake(ptr)
            c.say("sent HelloRequest (SSL_renegotiate=%d, SSL_do_handshake=%d, error=%d)"
                  % (rv, hs, lib.SSL_get_error(ptr, hs)))
        elif op == "post_handshake_auth":
            try:
                c.sock.verify_client_post_handshake()
                c.say("post-handshake CertificateRequest queued")
            except ssl.SSLError as e:
                c.say("post-handshake auth refused by OpenSSL: %s" % e)
        else:
            raise ValueError("unknown action %r" % (op,))


def handle(index, sock, scenario, tls_ctx, ctx_ptr, done):
    c = None
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls_ctx is not None:
            sock.settimeout(5)
            try:
                tsock = tls_ctx.wrap_socket(sock, server_side=True,
                                            do_handshake_on_connect=False)
                tsock.do_handshake()
            except (ssl.SSLError, OSError) as e:
                log("conn %d: TLS handshake failed: %s" % (index, e))
                sock.close()
                return
            log("conn %d: TLS %s %s ALPN=%s" % (index, tsock.version(), tsock.cipher()[0],
                                              tsock.selected_alpn_protocol()))
            tsock.setblocking(False)
            c = Conn(index, sock, tls_ctx, ctx_ptr)
            c.sock = tsock
        else:
            sock.setblocking(False)
            c = Conn(index, sock)
        conns = scenario["conns"]
        actions = conns[min(index, len(conns) - 1)]
        try:
            run_actions(c, actions)
            if not c.closed:
                c.drain(scenario.get("linger", 3))
        except PeerGone as e:
            c.say("client gone: %s" % e)
        # After the client's EOF there is nobody to be graceful to.
        c.close("graceful" if not c.eof else "after EOF")
    except Exception as e:  # a bug in the scenario: say so loudly
        log("conn %d: SERVER ERROR %s: %s" % (index, type(e).__name__, e))
        import traceback
        traceback.print_exc()
        if c:
            c.close("reset")
    finally:
        log("conn %d: done" % index)
        done.release()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--certs", default=".")
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--body", help="print a body the scenarios send: ok, partial, "
                    "drip, path:/P:N (what `respond` sends for /P)")
    o = ap.parse_args()
    if o.list:
        for name in SCENARIOS:
            print(name)
        return 0
    if o.body:
        if o.body.startswith("path:"):
            path, _, n = o.body[5:].rpartition(":")
            data = path_body(path, int(n))
        else:
            data = BODIES[o.body]
        sys.stdout.buffer.write(data)
        return 0
    if o.scenario not in SCENARIOS:
        print("unknown scenario %r (--list)" % o.scenario, file=sys.stderr)
        return 2
    sc = SCENARIOS[o.scenario]

    # Never outlive the test.
    threading.Timer(o.timeout, lambda: (log("global timeout: exiting"), os._exit(3))).start()

    tls_ctx = ctx_ptr = None
    if "tls" in sc:
        tls_ctx = make_tls_context(sc["tls"], o.certs)
        if sc["tls"].get("need_ctx_pointer"):
            ctx_ptr = ssl_ctx_pointer(tls_ctx)

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if "rcvbuf" in sc:  # inherited by accepted sockets, sets the TCP window
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, sc["rcvbuf"])
    ls.bind(("127.0.0.1", o.port))
    ls.listen(16)
    port = ls.getsockname()[1]
    print("PORT %d" % port, flush=True)
    if o.port_file:
        with open(o.port_file + ".tmp", "w") as fh:
            fh.write("%d\n" % port)
        os.rename(o.port_file + ".tmp", o.port_file)
    log("scenario %s on port %d%s" % (o.scenario, port, " (TLS)" if tls_ctx else ""))

    expected = sc.get("connections", len(sc["conns"]))
    done = threading.Semaphore(0)
    index = 0
    finished = 0
    # Accept the expected connections; then wait a little for extra ones
    # (a client retrying) so that they are logged rather than refused.
    while True:
        if finished >= expected:
            wait = sc.get("extra_wait", 0.3)
        else:
            wait = 0.2
        r, _, _ = select.select([ls], [], [], wait)
        while done.acquire(blocking=False):
            finished += 1
        if r:
            sock, addr = ls.accept()
            if index >= expected:
                log("extra connection %d from %s:%d" % (index, *addr))
            else:
                log("accepted connection %d from %s:%d" % (index, *addr))
            t = threading.Thread(target=handle, args=(index, sock, sc, tls_ctx, ctx_ptr, done),
                                 daemon=True)
            t.start()
            index += 1
            expected = max(expected, index)
        elif finished >= expected:
            break
    ls.close()
    log("all %d connections done" % index)
    sys.stderr.flush()
    os._exit(0)


# ---- Scenarios ---------------------------------------------------------------
#
# Each scenario: "conns", one action list per connection (the last one serves
# any extra connection); optional "tls" (server options), "rcvbuf" (our TCP
# receive buffer: a small one makes the client's writes block once we stop
# reading), "linger" (seconds to read after the actions, default 3).

# Our SETTINGS; the client's SETTINGS is acknowledged automatically (as are
# its PINGs) once ours has gone out.
OPEN = [("settings", {}), ("wait_preface",)]
OK_BODY = random_body(100000, 1)
PARTIAL = random_body(2000, 2)
DRIP_BODY = random_body(100, 3) + random_body(200, 4)
BODIES = {"ok": OK_BODY, "partial": PARTIAL, "drip": DRIP_BODY,
          "ok2000": random_body(2000, 1)}


def ok_conn(size=100000):
    return OPEN + [("wait_requests", 1),
                   ("headers", "req:0", [(":status", "200"), ("content-length", str(size))], False),
                   ("data", "req:0", random_body(size, 1), True),
                   ("drain", 3)]


def continuation_flood_block():
    """A literal whose value is announced as 65,536 bytes and never ends."""
    return b"\x00" + hp_int(7, 0, 1) + b"x" + hp_int(7, 0, 65536) + b"a" * (16384 - 7)


# A response whose every byte (our SETTINGS and ACKs included) goes out in its
# own send(), 2 ms apart.
DRIP = [("drip", 0.002)] + OPEN + [
    ("wait_requests", 1),
    ("headers", "req:0", [(":status", "200"), ("content-type", "application/octet-stream"),
                          ("x-long-huffman-header", "abcdefghijklmnopqrstuvwxyz0123456789"),
                          ("content-length", "300")], False),
    ("data", "req:0", DRIP_BODY[:100], False),
    ("data", "req:0", DRIP_BODY[100:], True),
    ("drain", 3)]

BIG_DEBUG = bytes((i * 7 + 3) & 0xFF for i in range(16384 - 8))

SCENARIOS = {
    # -- sanity --
    "ok": {"conns": [ok_conn()]},
    # 39: the whole server output one byte per send(), 2 ms apart.
    "drip": {"conns": [DRIP]},
    # 39 over TLS: one plaintext byte per TLS record.
    "tls-drip": {"tls": {}, "conns": [DRIP]},
    # 40: closed in the middle of a frame header (after 2,000 body bytes).
    "cut-frame-header": {"conns": [OPEN + [
        ("wait_requests", 1),
        ("headers", "req:0", [(":status", "200"), ("content-length", "5000")], False),
        ("data", "req:0", PARTIAL, False),
        ("raw", frame(T_DATA, 0, 1, b"x" * 100)[:4]),
        ("close",)]]},
    # 40/118: closed (FIN) in the middle of a DATA payload.
    "cut-body": {"conns": [OPEN + [
        ("wait_requests", 1),
        ("headers", "req:0", [(":status", "200"), ("content-length", "5000")], False),
        ("raw", frame(T_DATA, 0, 1, PARTIAL + b"y" * 3000)[:9 + 2000]),
        ("close",)]]},
    # 118: TCP RST in the middle of a DATA payload.
    "rst-body": {"conns": [OPEN + [
        ("wait_requests", 1),
        ("headers", "req:0", [(":status", "200"), ("content-length", "5000")], False),
        ("raw", frame(T_DATA, 0, 1, PARTIAL + b"y" * 3000)[:9 + 2000]),
        ("sleep", 0.3),
        ("reset",)]]},
    # 117: GOAWAY(INTERNAL_ERROR, last=1), more body, then FIN mid-body.
    "goaway-then-cut": {"conns": [OPEN + [
        ("wait_requests", 1),
        ("headers", "req:0", [(":status", "200"), ("content-length", "5000")], False),
        ("data", "req:0", PARTIAL[:1000], False),
        ("goaway", 1, INTERNAL_ERROR, b"going down"),
        ("data", "req:0", PARTIAL[1000:], False),
        ("close",)]]},
    # 2: an HTTP/1.1 answer to the preface.
    "http1": {"conns": [[
        ("sleep", 0.1),
        ("raw", b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                b"Content-Length: 11\r\nConnection: close\r\n\r\nBad Request"),
        ("close",)]]},
    # 3: nothing at all (the client's connect timeout must fire).
    "silent": {"conns": [[("drain", 8)]]},
    # 3: 5 bytes of a SETTINGS frame header, then silence.
    "stall-frame-header": {"conns": [[("raw", frame(T_SETTINGS, 0, 0)[:5]), ("drain", 8)]]},
    # 1: the first frame is a PING.
    "first-not-settings": {"conns": [[
        ("wait_preface",),
        ("frame", T_PING, 0, 0, b"notfirst"),
        ("settings", {}),
        ("expect_goaway", 3)]]},
    # 115/116: GOAWAY(2^31-1) then GOAWAY(3) with 1, 3, 5, 7 in flight; 1 and
    # 3 are answered, 5 and 7 must be retried on a second connection.
    "goaway-retry": {"conns": [
        OPEN + [("wait_requests", 4),
                ("goaway", 0x7FFFFFFF, NO_ERROR, b""),
                ("goaway", 3, NO_ERROR, b"drain"),
                ("respond", 1, 1000), ("respond", 3, 1000),
                ("drain", 3)],
        OPEN + [("serve", 2, 1000), ("drain", 3)]]},
    # 116: a later GOAWAY with a higher last-stream-id.
    "goaway-increase": {"conns": [OPEN + [
        ("wait_requests", 1),
        ("goaway", 1, NO_ERROR, b""),
        ("goaway", 5, NO_ERROR, b""),
        ("expect_goaway", 3)]]},
    # A malformed response (uppercase field name) on /bad, a good one on /good.
    "malformed-one": {"conns": [OPEN + [
        ("wait_requests", 2),
        ("raw_headers", "path:/bad", b"\x88" + hp_lit("Bad-Name", "x"), False),
        ("respond", "path:/good", 20000),
        ("drain", 3)]]},
    # 112 / V21 (reset pacing): a limit of 4 streams (the client is told
    # to send no more before our SETTINGS either); the first 4 requests
    # get malformed responses (uppercase name: the client resets each),
    # and the PING that follows the resets is not acknowledged until 0.5 s
    # after the 4th reset arrived. Until it is, the resets keep their
    # slots: no new request may arrive.
    "provoked-resets-paced": {"conns": [[
        ("hold_pings",), ("settings", {3: 4}), ("wait_preface",),
        ("wait_requests", 4)] + [
        ("raw_headers", "req:%d" % i, b"\x88" + hp_lit("Bad-Name", "x"), True)
        for i in range(4)] + [
        ("wait_rsts", 4),
        ("sleep", 0.5),  # time for a wrong client to send more requests
        ("release_pings",)] + [
        ("respond", "req:%d" % i, 1000) for i in range(4, 8)] + [
        ("drain", 3)]]},
    # 115 / section 5 (retries): every request refused, on every connection
    # (the list's last entry serves the extra ones): the client retries
    # at most max_retries (6) times, then fails.
    "refuse-always": {"conns": [OPEN + [("refuse", 4)]]},
    # 61: HPACK bomb, ~64 MB decoded from 20 KB.
    "hpack-bomb": {"conns": [OPEN + [
        ("wait_requests", 1),
        ("raw_headers", "req:0", hpack_bomb_block(), True),
        ("expect_goaway", 3)]]},
    # 59: HEADERS then 1,000 CONTINUATIONs of 16 KB (16 MB offered).
    "continuation-flood": {"conns": [OPEN + [
        ("wait_requests", 1),
        ("frame", T_HEADERS, F_END_STREAM, 1, continuation_flood_block()),
        ("flood", frame(T_CONTINUATION, 0, 1, b"a" * 16384), 1000),
        ("expect_goaway", 3)]]},
    # 60/110: HEADERS then 100,000 empty CONTINUATIONs.
    "continuation-flood-empty": {"conns": [OPEN + [
        ("wait_requests", 1),
        ("frame", T_HEADERS, F_END_STREAM, 1, b"\x88"),
        ("flood", frame(T_CONTINUATION, 0, 1), 100000),
        ("expect_goaway", 3)]]},
    # 109: 100,000 PINGs while we read nothing (small TCP window).
    "ping-flood": {"rcvbuf": 4096, "linger": 1, "conns": [OPEN + [
        ("wait_requests", 1),
        ("stop_reading",),
        ("flood", frame(T_PING, 0, 0, b"pingpong"), 100000),
        ("sleep", 1)]]},
    # 109, paced: 400 PINGs every 2 ms, fewer than the client's bound per
    # read, so only our not reading can make its ACKs pile up.
    "ping-flood-paced": {"rcvbuf": 4096, "linger": 1, "conns": [OPEN + [
        ("wait_requests", 1),
        ("stop_reading",),
        ("flood", frame(T_PING, 0, 0, b"pingpong"), 1000000, 400, 0.002),
        ("sleep", 1)]]},
    # 20: 100,000 SETTINGS while we read nothing.
    "settings-flood": {"rcvbuf": 4096, "linger": 1, "conns": [OPEN + [
        ("wait_requests", 1),
        ("stop_reading",),
        ("flood", frame(T_SETTINGS, 0, 0), 100000),
        ("sleep", 1)]]},
    # 119: GOAWAY(ENHANCE_YOUR_CALM) with 16 KB of binary debug data, then FIN.
    "goaway-debug": {"conns": [OPEN + [
        ("wait_requests", 1),
        ("headers", "req:0", [(":status", "200")], False),
        ("goaway", 1, ENHANCE_YOUR_CALM, BIG_DEBUG),
        ("close",)]]},
    # 119: GOAWAY(NO_ERROR, last=1) with 16 KB of binary debug data, then the
    # response completes: the debug data must not disturb it.
    "goaway-debug-complete": {"conns": [OPEN + [
        ("wait_requests", 1),
        ("headers", "req:0", [(":status", "200"), ("content-length", "2000")], False),
        ("goaway", 1, NO_ERROR, BIG_DEBUG),
        ("data", "req:0", PARTIAL, True),
        ("drain", 3)]]},

    # -- TLS (cases 123-129) --
    "tls-ok": {"tls": {}, "conns": [ok_conn()]},
    "tls12-ok": {"tls": {"max": "1.2"}, "conns": [ok_conn()]},
    # 3 over TLS: the handshake completes, then nothing.
    "tls-silent": {"tls": {}, "conns": [[("drain", 8)]]},
    # 123
    "tls-alpn-http11": {"tls": {"alpn": "force:http/1.1"}, "conns": [[("drain", 3)]]},
    "tls-alpn-none": {"tls": {"alpn": None}, "conns": [[("drain", 3)]]},
    # 124
    "tls-alpn-h2c": {"tls": {"alpn": "force:h2c"}, "conns": [[("drain", 3)]]},
    # 125
    "tls11": {"tls": {"min": "1.1", "max": "1.1", "ciphers": "DEFAULT:@SECLEVEL=0"},
              "conns": [[("drain", 3)]]},
    "tls12-blocklisted-cipher": {"tls": {"max": "1.2", "ciphers": "ECDHE-ECDSA-AES128-SHA"},
                                 "conns": [[("drain", 3)]]},
    # 126: a HelloRequest once the request has arrived.
    "tls12-renegotiation": {"tls": {"max": "1.2", "need_ctx_pointer": True}, "conns": [OPEN + [
        ("wait_requests", 1),
        ("renegotiate",),
        ("expect_goaway", 3)]]},
    # 127: try a TLS 1.3 post-handshake CertificateRequest (OpenSSL refuses
    # to send one when the client did not offer post_handshake_auth).
    "tls13-post-handshake-auth": {"tls": {"min": "1.3", "post_handshake_auth": True},
                                  "conns": [OPEN + [
        ("wait_requests", 1),
        ("post_handshake_auth",),
        ("headers", "req:0", [(":status", "200"), ("content-length", "2000")], False),
        ("data", "req:0", PARTIAL, True),
        ("drain", 3)]]},
    # 128
    "tls-wrong-host": {"tls": {"cert": "wrong-host"}, "conns": [[("drain", 3)]]},
    "tls-untrusted": {"tls": {"cert": "untrusted-server"}, "conns": [[("drain", 3)]]},
    # A server that wants a client certificate (TLS 1.3: the alert arrives
    # after the client's handshake completed).
    "tls-client-cert": {"tls": {"client_cert": True}, "conns": [ok_conn(2000)]},
    # 129: the TCP connection ends under TLS, without close_notify, mid-body.
    "tls-truncated": {"tls": {}, "conns": [OPEN + [
        ("wait_requests", 1),
        ("headers", "req:0", [(":status", "200"), ("content-length", "5000")], False),
        ("data", "req:0", PARTIAL, False),
        ("sleep", 0.2),
        ("tls_abort",)]]},
    # 129, with close_notify: still not a complete response.
    "tls-close-notify-mid-body": {"tls": {}, "conns": [OPEN + [
        ("wait_requests", 1),
        ("headers", "req:0", [(":status", "200"), ("content-length", "5000")], False),
        ("data", "req:0", PARTIAL, False),
        ("sleep", 0.2),
        ("tls_close_notify",)]]},
}

if __name__ == "__main__":
    sys.exit(main())
