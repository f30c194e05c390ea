"""image_server.py DIR - a small image server for the --fetch-urls test (ux_fetch_urls.sh),
on a loopback port the kernel picks, printed as the first line of standard output; each
request's path is printed after it, one a line.

    /img/NAME              DIR/NAME (200), or 404
    /img/NAME?sig=SECRET   the same (a signed URL: its query must not be shown)
    /go/NAME               302 to /img/NAME
    /to-file               302 to file:///etc/passwd (must be refused)
    /loop                  302 to itself (too many redirects)
    /slow                  sends nothing for 60 s (a timeout)
    /big                   a chunked body of 3 MB (over a 1 MB cap; no Content-Length)
"""
import http.server
import os
import sys
import time
from urllib.parse import urlsplit

ROOT = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def redirect(self, where):
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        path = urlsplit(self.path).path
        print(path, flush=True)
        if path.startswith("/img/"):
            name = os.path.basename(path[5:])
            try:
                data = open(os.path.join(ROOT, name), "rb").read()
            except OSError:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif path.startswith("/go/"):
            self.redirect("/img/" + path[4:])
        elif path == "/to-file":
            self.redirect("file:///etc/passwd")
        elif path == "/loop":
            self.redirect("/loop")
        elif path == "/slow":
            time.sleep(60)
        elif path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"\x89PNG" + b"\0" * 65532
            try:
                for _ in range(48):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass
        else:
            self.send_error(404)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up (a timeout, a body over its cap) is expected


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
