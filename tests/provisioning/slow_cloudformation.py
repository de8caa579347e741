"""A proxy in front of moto's CloudFormation that keeps stack updates running until told otherwise.

moto finishes an UpdateStack inside the call and has no CancelUpdateStack, so a cancellation can never meet a
stack UPDATE_IN_PROGRESS there. In front of it, this proxy shows each stack an UpdateStack touched (while
`holding`) as UPDATE_IN_PROGRESS to DescribeStacks, and answers CancelUpdateStack as CloudFormation does: the
update rolls back (`after_cancel`, UPDATE_ROLLBACK_COMPLETE or UPDATE_ROLLBACK_FAILED), or, with `after_cancel`
None, the update has just finished (CloudFormation's ValidationError) and the stack reads as moto left it.
Everything else, STS included, goes to moto unchanged.
"""

from __future__ import annotations

import http.client
import http.server
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_XMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
CANCELLED = (
    f'<CancelUpdateStackResponse xmlns="{_XMLNS}"><ResponseMetadata><RequestId>slow-1</RequestId>'
    "</ResponseMetadata></CancelUpdateStackResponse>"
)
TOO_LATE = (
    f'<ErrorResponse xmlns="{_XMLNS}"><Error><Type>Sender</Type><Code>ValidationError</Code>'
    "<Message>CancelUpdateStack cannot be called from current stack status</Message></Error>"
    "<RequestId>slow-2</RequestId></ErrorResponse>"
)


@dataclass
class SlowCloudFormation:
    upstream: str  # host:port of moto
    url: str = ""
    holding: bool = False
    after_cancel: str | None = "UPDATE_ROLLBACK_COMPLETE"
    # With after_cancel None: the status the update ends in by itself (None: as moto left it).
    after_refusal: str | None = None
    updating: set[str] = field(default_factory=set)  # stacks shown UPDATE_IN_PROGRESS
    ended: dict[str, str] = field(default_factory=dict)  # stacks shown in the status their cancel gave
    cancels: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, body: bytes) -> tuple[int, bytes] | None:
        """Our own answer to a request, or None to forward it (and `rewrite` what comes back)."""
        form = dict(urllib.parse.parse_qsl(body.decode()))
        action, stack = form.get("Action"), form.get("StackName", "")
        with self.lock:
            if action == "UpdateStack" and self.holding:
                self.updating.add(stack)
            if action == "CancelUpdateStack":
                self.cancels.append(stack)
                if stack not in self.updating:
                    return 400, TOO_LATE.encode()
                self.updating.discard(stack)
                if self.after_cancel is None:
                    if self.after_refusal is not None:
                        self.ended[stack] = self.after_refusal
                    return 400, TOO_LATE.encode()
                self.ended[stack] = self.after_cancel
                return 200, CANCELLED.encode()
        return None

    def rewrite(self, body: bytes, answer: bytes) -> bytes:
        form = dict(urllib.parse.parse_qsl(body.decode()))
        if form.get("Action") != "DescribeStacks":
            return answer
        stack = form.get("StackName", "")
        with self.lock:
            status = "UPDATE_IN_PROGRESS" if stack in self.updating else self.ended.get(stack)
        if status is None:
            return answer
        text = answer.decode()
        start, end = text.find("<StackStatus>"), text.find("</StackStatus>")
        return (text[: start + len("<StackStatus>")] + status + text[end:]).encode()


@contextmanager
def slow_cloudformation(moto_url: str) -> Iterator[SlowCloudFormation]:
    proxy = SlowCloudFormation(urllib.parse.urlsplit(moto_url).netloc)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            own = proxy.answer(body)
            if own is not None:
                status, answer, kind = own[0], own[1], "text/xml"
            else:
                connection = http.client.HTTPConnection(proxy.upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                connection.request("POST", self.path, body, headers)
                response = connection.getresponse()
                status, answer = response.status, proxy.rewrite(body, response.read())
                kind = response.getheader("content-type") or "text/xml"
                connection.close()
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
