"""A minimal RESP2 client for the campaign scripts (benchmarks/*-campaign.py): one request at a time per connection."""
import socket
import time


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RespError(Exception):
    pass


class Conn:
    """A minimal RESP2 client: one request at a time, a socket timeout on every read."""

    def __init__(self, port, timeout):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RespError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise ConnectionError("unexpected reply %r" % line[:40])

    def call(self, *args):
        self.sock.sendall(encode(args))
        return self._reply()


def wait_ping(proc, port, bound, name, work):
    """Until the node on RESP `port` answers PING (returns the time it did); exits the campaign if `proc` ends first or
    `bound` seconds pass."""
    end = time.time() + bound
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit("%s exited with %s (log in %s)" % (name, proc.returncode, work))
        try:
            c = Conn(port, 1.0)
            try:
                if c.call("PING") == "PONG":
                    return time.time()
            finally:
                c.close()
        except (OSError, ConnectionError):
            pass
        time.sleep(0.05)
    raise SystemExit("%s did not answer PING within %d s (log in %s)" % (name, bound, work))
