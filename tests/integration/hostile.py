"""hostile.py - small hostile servers for the fail-fast tests (fail_fast.sh), on a
loopback port the kernel picks, printed as the first line of standard output.

    hostile.py silent     accepts connections, reads the request, never answers
    hostile.py proxy407   answers every request (a CONNECT too) with 407
    hostile.py bigheader  answers 200 with a 100 KB response header
"""
import socket
import sys
import threading


def serve(handle):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    print(s.getsockname()[1], flush=True)
    held = []  # silent: connections kept open, never answered
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c, held), daemon=True).start()


def read_request(c):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def silent(c, held):
    read_request(c)
    held.append(c)


def proxy407(c, held):
    read_request(c)
    c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
              b"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
    c.close()


def bigheader(c, held):
    read_request(c)
    body = b'{"object":"list","data":[]}'
    c.sendall(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (100 * 1024) +
              b"\r\nContent-Type: application/json\r\nContent-Length: " +
              str(len(body)).encode() + b"\r\n\r\n" + body)
    c.close()


if __name__ == "__main__":
    serve({"silent": silent, "proxy407": proxy407, "bigheader": bigheader}[sys.argv[1]])
