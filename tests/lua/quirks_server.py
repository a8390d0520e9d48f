#!/usr/bin/python3
"""An HTTP/2 server (h2c, prior knowledge) with the quirks real servers
rarely show, for the seed defects the Lua binding must not have
(tests/lua/t_quirks.lua). Built on Debian's python3-h2.

    /usr/bin/python3 quirks_server.py PORT

Paths:
  /padded           200, a 100,000-byte body in DATA frames padded by 200 bytes
  /early-hints      103 (link: </style.css>), then 200 with body "final"
  /conn-specific    200 carrying "connection: close" (malformed, RFC 9113
                    section 8.2.2): the client must fail the stream
  /ping-first       sends a PING, answers 200 "acked" once its ACK is back
                    (or "no ack" after 2 s)
  /upload           POST: answers "<bytes> <largest DATA frame>"; the server
                    never advertises SETTINGS_MAX_FRAME_SIZE, so 16,384 holds
  /go-silent        200 "silent", then the server neither reads nor writes on
                    that connection again (a hung peer: PINGs go unanswered)
                    until the client closes it
  /oversized-frame  200, then the header of a DATA frame announcing 1 MiB,
                    more than the client allows: it must end the connection
                    (FRAME_SIZE_ERROR) without waiting for the payload

The server handles any number of connections, each in its own thread, and
logs one line per event on stderr.
"""
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.events

BODY = bytes((i * 7 + 3) % 251 for i in range(100000))


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


class Connection:
    def __init__(self, sock):
        self.sock = sock
        config = h2.config.H2Configuration(client_side=False,
                                           validate_outbound_headers=False,
                                           normalize_outbound_headers=False)
        self.conn = h2.connection.H2Connection(config=config)
        self.bodies = {}      # stream id -> bytes received
        self.largest = {}     # stream id -> largest DATA frame seen
        self.waiting_ack = {}  # ping opaque -> stream id
        self.headers = {}

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def respond(self, sid, status, body, extra=(), padding=0):
        headers = [(":status", str(status)), ("content-length", str(len(body)))]
        headers += list(extra)
        self.conn.send_headers(sid, headers, end_stream=not body)
        offset = 0
        while offset < len(body):
            # Padding (and its length byte) counts against the window too.
            extra = padding + 1 if padding else 0
            room = min(self.conn.local_flow_control_window(sid),
                       self.conn.max_outbound_frame_size) - extra
            if room <= 0:
                self.flush()
                self.wait_window()
                continue
            chunk = body[offset:offset + room]
            offset += len(chunk)
            self.conn.send_data(sid, chunk, end_stream=offset >= len(body),
                                pad_length=padding or None)
        self.flush()

    def wait_window(self):
        """Reads until the client opens the window again."""
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed while waiting for window")
        for event in self.conn.receive_data(data):
            self.handle(event, blocking=False)

    def handle_request(self, sid):
        path = dict(self.headers[sid]).get(":path", "/")
        log("request", sid, path)
        if path == "/padded":
            self.respond(sid, 200, BODY, padding=200)
        elif path == "/early-hints":
            self.conn.send_headers(sid, [(":status", "103"), ("link", "</style.css>; rel=preload")])
            self.respond(sid, 200, b"final")
        elif path == "/conn-specific":
            self.respond(sid, 200, b"bad", extra=[("connection", "close")])
        elif path == "/ping-first":
            opaque = sid.to_bytes(8, "big")
            self.waiting_ack[opaque] = sid
            self.conn.ping(opaque)
            self.flush()
            threading.Timer(2.0, self.no_ack, args=(opaque,)).start()
        elif path == "/go-silent":
            self.respond(sid, 200, b"silent")
            self.silent = True
        elif path == "/oversized-frame":
            self.conn.send_headers(sid, [(":status", "200")])
            self.flush()
            # Bypasses python3-h2, which would refuse to send it.
            self.sock.sendall((1 << 20).to_bytes(3, "big") + b"\x00\x00" + sid.to_bytes(4, "big"))
        elif path == "/upload":
            body = ("%d %d" % (len(self.bodies.get(sid, b"")), self.largest.get(sid, 0))).encode()
            self.respond(sid, 200, body)
        else:
            self.respond(sid, 404, b"no such quirk\n")

    def no_ack(self, opaque):
        sid = self.waiting_ack.pop(opaque, None)
        if sid is not None:
            with self.lock:
                self.respond(sid, 200, b"no ack")

    def handle(self, event, blocking=True):
        if isinstance(event, h2.events.RequestReceived):
            self.headers[event.stream_id] = [(k.decode() if isinstance(k, bytes) else k,
                                              v.decode() if isinstance(v, bytes) else v)
                                             for k, v in event.headers]
            if event.stream_ended:
                self.handle_request(event.stream_id)
        elif isinstance(event, h2.events.DataReceived):
            sid = event.stream_id
            self.bodies[sid] = self.bodies.get(sid, b"") + event.data
            self.largest[sid] = max(self.largest.get(sid, 0), event.flow_controlled_length)
            self.conn.acknowledge_received_data(event.flow_controlled_length, sid)
            if event.stream_ended:
                self.handle_request(sid)
        elif isinstance(event, h2.events.PingAckReceived):
            sid = self.waiting_ack.pop(event.ping_data, None)
            if sid is not None:
                self.respond(sid, 200, b"acked")
        elif isinstance(event, h2.events.StreamReset):
            log("reset", event.stream_id, event.error_code)

    def run(self):
        self.lock = threading.Lock()
        self.silent = False
        self.conn.initiate_connection()
        self.flush()
        while True:
            if self.silent:
                # Hung: wait for the client to give up and close, reading
                # nothing (what arrives is dropped unanswered).
                log("silent until the client closes")
                while self.sock.recv(65536):
                    pass
                return
            data = self.sock.recv(65536)
            if not data:
                return
            with self.lock:
                for event in self.conn.receive_data(data):
                    self.handle(event)
                self.flush()


def serve(sock):
    try:
        Connection(sock).run()
    except Exception as e:  # a client going away mid-response is normal here
        log("connection ended:", repr(e))
    finally:
        sock.close()


def main():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", int(sys.argv[1])))
    listener.listen(64)
    log("listening on", sys.argv[1])
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=serve, args=(sock,), daemon=True).start()


if __name__ == "__main__":
    main()
