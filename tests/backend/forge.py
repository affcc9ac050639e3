"""Sends receiver.py two deliveries it must refuse, made from a genuine one.

    python3 forge.py --url https://127.0.0.1:PORT/looplive/webhooks --ca CA.pem \
        --capture FILE

Takes the first verified delivery in FILE and sends it again twice, over
HTTPS trusting only the test's CA: once signed (both headers) with a secret
that is not looplive's, once with looplive's genuine headers over a body with
its event type changed. Prints "<case> <status>" for each; the test expects
401 twice, and the node verifier to reject both lines the receiver appends.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import ssl
import time
import urllib.error
import urllib.request


def post(url: str, context: ssl.SSLContext, headers: dict, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--capture", required=True)
    args = parser.parse_args()
    with open(args.capture, encoding="utf-8") as lines:
        genuine = next(record for record in map(json.loads, lines) if record["verified"])
    headers = {name: value for name, value in genuine["headers"].items() if value}
    body = genuine["body"].encode()
    context = ssl.create_default_context(cafile=args.ca)

    # A well-formed secret, just not the one looplive signs with.
    wrong = os.urandom(24)
    msg_id = headers["webhook-id"]
    timestamp = str(int(time.time()))
    standard = hmac.new(wrong, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    own = hmac.new(b"whsec_" + base64.b64encode(wrong), timestamp.encode() + b"." + body,
                   hashlib.sha256)
    resigned = dict(headers, **{
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(standard.digest()).decode(),
        "x-looplive-timestamp": timestamp,
        "x-looplive-signature": "sha256=" + own.hexdigest(),
    })
    print("wrong-secret", post(args.url, context, resigned, body), flush=True)

    event = json.loads(body)
    event["type"] = "stream.ended" if event["type"] != "stream.ended" else "stream.live"
    tampered = json.dumps(event, separators=(",", ":")).encode()
    assert tampered != body
    print("tampered-body", post(args.url, context, headers, tampered), flush=True)


if __name__ == "__main__":
    main()
