"""The marketplace backend's side of one live show, against a running looplive.

    LOOPLIVE_API_TOKEN=... python3 backend.py --api http://127.0.0.1:PORT \
        --capture FILE --report FILE

Creates a recorded stream through the control API, gives its RTMP URL and key
to an encoder (ffmpeg publishing a test pattern, as a seller's OBS would),
waits until the API says the stream is live and its stream.live webhook has
come, drops the encoder's connection (a seller's network hiccup) and waits for
stream.reconnecting, publishes again with the same key and waits for the second
stream.live, lets the show run, ends it through the API and waits for
stream.ended and recording.ready. While the show is live it tags a product on
screen and waits for tag.aired. With --vod-upload and --vod-broken (files in
looplive's import folder, as the marketplace's upload step leaves them) it then
packages a seller's product video and waits for vod.ready, and asks for a broken
upload and waits for vod.failed. The webhooks are read from the file receiver.py
appends to, and only those it verified count. On the way it checks what a
backend relies on: the playback URLs in the events answer, stream.ended says
what the end call answered, tag.aired what the tag call answered, and the
packaged video plays. Writes {streamId, created, end, tagId, vodJobs} to the
report file and exits 0, or says what went wrong and exits 1. Standard library
only.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

# Long enough for a couple of 2 s segments in the recording.
SHOW_SECONDS = 5
# The encoder's input outlasts the show, so the end call ends it: an encoder
# that stopped first would make the stream "reconnecting" instead.
ENCODER_SECONDS = 40


class Failure(Exception):
    pass


def check(condition: bool, what: str) -> None:
    if not condition:
        raise Failure(what)


class Api:
    def __init__(self, base: str, token: str):
        self.base = base.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:  # a status the caller checks, not a crash
            return error.code, json.loads(error.read() or b"null")


def fetch(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


def playlist_answers(url: str) -> bool:
    status, text = fetch(url)
    return status == 200 and text.startswith("#EXTM3U")


def replay_complete(url: str) -> bool:
    # The replay URL is a multivariant playlist; the show is finished when the
    # first media playlist it names is closed, as a player would find it.
    status, text = fetch(url)
    listed = [line for line in text.splitlines() if line and not line.startswith("#")]
    if status != 200 or not listed:
        return False
    status, media = fetch(urllib.parse.urljoin(url, listed[0]))
    return status == 200 and "#EXT-X-ENDLIST" in media


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise Failure(f"timed out after {timeout:.0f} s waiting for {what}")


def verified_events(capture: str, subject: str, field: str = "streamId") -> dict:
    """The verified deliveries about one stream (or, with field="id", one VOD
    job), by type, each event once.

    Delivery is at least once, so a backend deduplicates by webhook-id.
    """
    events, seen = {}, set()
    try:
        with open(capture, encoding="utf-8") as lines:
            for line in lines:
                if not line.endswith("\n"):
                    break  # still being written
                record = json.loads(line)
                if not record["verified"] or record["headers"]["webhook-id"] in seen:
                    continue
                event = json.loads(record["body"])
                if event["data"].get(field) == subject:
                    seen.add(record["headers"]["webhook-id"])
                    events.setdefault(event["type"], []).append(event)
    except FileNotFoundError:
        pass
    return events


def publish(rtmp_url: str, key: str) -> subprocess.Popen:
    return subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
         "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
         "-t", str(ENCODER_SECONDS),
         # A keyframe every 2 s, the segment duration, as docs/sellers.md asks.
         "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "60",
         "-c:a", "aac", "-b:a", "128k", "-f", "flv", rtmp_url + "/" + key],
        stdin=subprocess.DEVNULL)


def run_show(api: Api, capture: str) -> dict:
    status, created = api.call("POST", "/v1/streams", {
        "record": True, "metadata": {"title": "Spring sale", "sellerId": 1042}})
    check(status == 201, f"create answered {status}: {created}")
    check(created["status"] == "ready", f"created stream is {created['status']}")
    stream_id = created["streamId"]
    print(f"created stream {stream_id}", flush=True)

    encoder = publish(created["rtmpUrl"], created["streamKey"])
    try:
        def status_is_live():
            return api.call("GET", f"/v1/streams/{stream_id}")[1].get("status") == "live"

        wait_for(status_is_live, 20, "the API to say the stream is live")
        live = wait_for(lambda: verified_events(capture, stream_id).get("stream.live"), 10,
                        "stream.live")[0]["data"]
        check(live["status"] == "live" and live["record"] is True, f"stream.live: {live}")
        check(live["hlsUrl"] == created["hlsUrl"], "stream.live names another HLS URL")
        # The URL a backend gives viewers plays (a manifest answers 404 until it lists something).
        wait_for(lambda: playlist_answers(live["hlsUrl"]), 15, f"{live['hlsUrl']} to answer")
        print("live, and its playlist answers", flush=True)

        # The seller's connection drops; the encoder comes back with the same key.
        encoder.kill()
        encoder.wait()
        away = wait_for(lambda: verified_events(capture, stream_id).get("stream.reconnecting"), 10,
                        "stream.reconnecting")[0]["data"]
        check(away["status"] == "reconnecting" and away["reconnectWindowSeconds"] > 0,
              f"stream.reconnecting: {away}")
        check(api.call("GET", f"/v1/streams/{stream_id}")[1].get("status") == "reconnecting",
              "the API does not say reconnecting")
        encoder = publish(created["rtmpUrl"], created["streamKey"])
        wait_for(lambda: len(verified_events(capture, stream_id).get("stream.live", [])) >= 2, 20,
                 "the second stream.live")
        print("back after a drop", flush=True)

        # The seller holds up a product: its card goes on screen for every viewer.
        status, tag = api.call("POST", f"/v1/streams/{stream_id}/tags", {
            "productId": "sku-4711", "action": "show",
            "payload": {"title": "Linen shirt", "price": "39.00", "currency": "EUR"}})
        check(status == 201, f"the tag call answered {status}: {tag}")
        aired = wait_for(lambda: verified_events(capture, stream_id).get("tag.aired"), 10,
                         "tag.aired")[0]["data"]
        for field in ("productId", "action", "mediaTime", "programDateTime"):
            check(aired[field] == tag[field], f"tag.aired {field} {aired[field]!r}, "
                                              f"the tag call said {tag[field]!r}")
        check(aired["tagId"] == str(tag["id"]), f"tag.aired names tag {aired['tagId']}")
        print(f"tag {tag['id']} aired at {tag['mediaTime']} s", flush=True)
        time.sleep(SHOW_SECONDS)

        status, end = api.call("POST", f"/v1/streams/{stream_id}/end")
        check(status == 200, f"end answered {status}: {end}")
        check(end["status"] == "ended" and end["vodUrl"], f"end answered {end}")
        try:
            encoder.wait(timeout=10)  # looplive disconnects the publisher
        except subprocess.TimeoutExpired:
            raise Failure("the encoder was still connected 10 s after the end call")
    finally:
        if encoder.poll() is None:
            encoder.kill()
            encoder.wait()

    def ending_events():
        events = verified_events(capture, stream_id)
        return events if {"stream.ended", "recording.ready"} <= events.keys() else None

    events = wait_for(ending_events, 20, "stream.ended and recording.ready")
    ended = events["stream.ended"][0]["data"]
    for field in ("status", "duration", "stats", "vodUrl", "endedAt"):
        check(ended[field] == end[field], f"stream.ended {field} {ended[field]!r}, "
                                          f"the end call said {end[field]!r}")
    check(ended["reason"] == "ended by the API", f"stream.ended reason {ended['reason']!r}")
    ready = events["recording.ready"][0]["data"]
    check(ready["vodUrl"] == end["vodUrl"], "recording.ready names another replay")
    check(replay_complete(ready["vodUrl"]), f"{ready['vodUrl']} is not a finished replay")
    print(f"ended after {end['duration']} s; replay at {end['vodUrl']}", flush=True)
    return {"streamId": stream_id, "created": created, "end": end, "tagId": str(tag["id"])}


def run_vod_job(api: Api, capture: str, source: str, outcome: str) -> dict:
    """Asks for a product video to be packaged and waits for its webhook:
    vod.ready or vod.failed. Returns the job as the API then answers it."""
    status, job = api.call("POST", "/v1/vod/jobs", {"source": source,
                                                    "metadata": {"sku": "sku-4711"}})
    check(status == 201, f"the VOD job call answered {status}: {job}")
    job_id = job["id"]
    event = wait_for(lambda: verified_events(capture, job_id, "id").get(outcome), 120,
                     f"{outcome} for {source}")[0]["data"]
    status, now = api.call("GET", f"/v1/vod/jobs/{job_id}")
    check(status == 200, f"the job answered {status}: {now}")
    check(event["state"] == now["state"], f"{outcome} says {event['state']}, the API {now['state']}")
    return now


def run_vod_jobs(api: Api, capture: str, upload: str, broken: str) -> list:
    ready = run_vod_job(api, capture, upload, "vod.ready")
    check(ready["state"] == "ready", f"the product video is {ready['state']}: {ready['error']}")
    check(playlist_answers(ready["outputs"]["hls"]), f"{ready['outputs']['hls']} does not play")
    print(f"product video packaged: {ready['outputs']['hls']}", flush=True)
    failed = run_vod_job(api, capture, broken, "vod.failed")
    check(failed["state"] == "failed" and failed["error"], f"the broken upload: {failed}")
    print(f"broken upload refused: {failed['error']}", flush=True)
    return [ready["id"], failed["id"]]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True)
    parser.add_argument("--capture", required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--vod-upload", help="a product video in looplive's import folder")
    parser.add_argument("--vod-broken", help="an upload there that is not a video")
    args = parser.parse_args()
    api = Api(args.api, os.environ["LOOPLIVE_API_TOKEN"])
    try:
        report = run_show(api, args.capture)
        report["vodJobs"] = []
        if args.vod_upload and args.vod_broken:
            report["vodJobs"] = run_vod_jobs(api, args.capture, args.vod_upload, args.vod_broken)
    except Failure as failure:
        print(f"backend: {failure}", file=sys.stderr, flush=True)
        return 1
    with open(args.report, "w", encoding="utf-8") as out:
        json.dump(report, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
