"""Refuse oversized request bodies with 413, whether or not Content-Length is sent."""

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Paths that take file uploads: the API's, its background variant, and the admin form.
UPLOAD_PATHS = ("/imports", "/imports/background")


class BodyTooLarge(BaseException):
    """Raised from `receive`; not an Exception, so body parsers cannot turn it into a 400."""


class BodySizeLimit:
    """ASGI middleware counting body bytes; uploads get their own limit."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = b""
        chunked = False
        for name, value in scope.get("headers") or ():
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        if not declared and not chunked and scope.get("http_version") in ("1.0", "1.1"):
            # Neither header: HTTP/1 says there is no body, so nothing to count (most GETs).
            await self.app(scope, receive, send)
            return
        limit = self.max_upload_bytes if scope["path"].endswith(UPLOAD_PATHS) else self.max_bytes
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit, scope["path"])
            return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await self._refuse(send, limit, scope["path"])

    @staticmethod
    async def _refuse(send: Send, limit: int, path: str) -> None:
        if path.startswith("/admin"):
            # A person at a browser gets a page, not JSON.
            content_type = b"text/html; charset=utf-8"
            size = f"{limit // 1_048_576} MiB" if limit >= 1_048_576 else f"{limit // 1024} KiB"
            payload = (
                "<!doctype html><html lang='en'><meta charset='utf-8'><title>File too large"
                "</title><h1>File too large</h1><p>Kakehashi accepts files of up to "
                f"{size}. Split the file and upload the parts.</p>"
                "<p><a href='/admin/imports'>Back to imports</a></p></html>"
            ).encode()
        else:
            content_type = b"application/json"
            body: dict[str, Any] = {
                "detail": f"request body is larger than {limit} bytes",
                "code": "payload_too_large",
            }
            payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
