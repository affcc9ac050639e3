"""The marketplace backend's webhook endpoint, written as a backend would write it.

    WEBHOOK_SECRET=whsec_... python3 receiver.py --port PORT --cert CERT --key KEY \
        --capture FILE [--path /looplive/webhooks]

A FastAPI app served by uvicorn over HTTPS only. It checks every delivery's
signatures itself (no Standard Webhooks library: the point is that the header
as documented can be checked by hand), answers 401 to any that fails and 204
to the others, and appends each delivery it got, refused ones included, as one
JSON line to FILE: what it needs of the headers, the raw body, whether it
verified and what it answered. backend.py waits on that file; the test and
verify-webhooks.mjs read it afterwards.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import time

import uvicorn
from fastapi import FastAPI, Request, Response

# The Standard Webhooks libraries refuse timestamps further than this from
# now, which stops a captured delivery from being replayed later.
TOLERANCE_SECONDS = 300
KEPT_HEADERS = (
    "content-type",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "x-looplive-event",
    "x-looplive-event-id",
    "x-looplive-timestamp",
    "x-looplive-signature",
)


def standard_key(secret: str) -> bytes:
    # As the Standard Webhooks libraries read a secret: base64 after "whsec_".
    return base64.b64decode(secret.removeprefix("whsec_"), validate=True)


def standard_signature_ok(key: bytes, headers, body: bytes) -> bool:
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    if not msg_id or not timestamp.isdigit():
        return False
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    # Several "v1,<base64>" entries while the sender rotates its secret; any may match.
    for entry in headers.get("webhook-signature", "").split():
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected):
            return True
    return False


def looplive_signature_ok(secret: str, headers, body: bytes) -> bool:
    # looplive's own header, keyed by the secret as written (docs/api.md).
    timestamp = headers.get("x-looplive-timestamp", "")
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, listed)
               for listed in headers.get("x-looplive-signature", "").split())


def make_app(secret: str, capture: str, path: str) -> FastAPI:
    key = standard_key(secret)
    app = FastAPI()

    @app.post(path)
    async def webhook(request: Request) -> Response:
        body = await request.body()  # the raw bytes, as they were signed
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        verified = (text is not None and standard_signature_ok(key, request.headers, body)
                    and looplive_signature_ok(secret, request.headers, body))
        status = 204 if verified else 401
        record = {
            "receivedAt": time.time(),
            "scheme": request.url.scheme,
            "path": request.url.path,
            "verified": verified,
            "status": status,
            "headers": {name: request.headers.get(name, "") for name in KEPT_HEADERS},
            "body": text if text is not None else body.decode("utf-8", "replace"),
        }
        # One write per line with O_APPEND, so a reader never sees half of one
        # followed by another.
        line = (json.dumps(record) + "\n").encode()
        descriptor = os.open(capture, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)
        return Response(status_code=status)

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--capture", required=True)
    parser.add_argument("--path", default="/looplive/webhooks")
    args = parser.parse_args()
    app = make_app(os.environ["WEBHOOK_SECRET"], args.capture, args.path)
    uvicorn.run(app, host="127.0.0.1", port=args.port, ssl_certfile=args.cert,
                ssl_keyfile=args.key, log_level="info")


if __name__ == "__main__":
    main()
