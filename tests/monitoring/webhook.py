"""A local webhook receiver for tests: records deliveries, answers with a chosen status or
not at all (a timeout)."""

import hashlib
import hmac
import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def webhook_server(*, status=200, delay=0.0):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(
                {
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "json": json.loads(body),
                }
            )
            time.sleep(delay)
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def signature_valid(delivery, secret):
    parts = dict(p.split("=", 1) for p in delivery["headers"]["x-emograph-signature"].split(","))
    mac = hmac.new(secret.encode(), f"{parts['t']}.".encode() + delivery["body"], hashlib.sha256)
    return hmac.compare_digest(mac.hexdigest(), parts["v1"])
