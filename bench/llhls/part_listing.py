#!/usr/bin/env python3
"""How soon after its last sample arrived a part is listed in the playlist.

tools/rtmp_publish sends a 960x540 30 fps show (x264 zerolatency without
B-frames, 2 s GOP, AAC at 48 kHz, made by ffmpeg first) in 4096-byte chunks
as OBS does (--chunk-size 128: librtmp's default) in real time: each
FLV tag when the wall clock reaches its timestamp, counted from the moment it
prints (--print-start), so the moment every sample is sent is known to a
millisecond. One client per rendition (video.m3u8 and audio.m3u8) follows
the live playlist as an LL-HLS player does: it asks for the preload-hinted
part with a blocking reload (_HLS_msn/_HLS_part) and notes the moment each
answer arrives.

A part's media end is its segment's EXT-X-PROGRAM-DATE-TIME, taken relative
to the first video segment's (the show's first frame, timestamp 0), plus the
durations of the parts before it and its own. Its last sample starts one
frame (1/30 s, or 1024/48000 s of audio) before that end and was sent at
start + that time (plus the first video frame's timestamp). A part's listing delay is the arrival of the first answer
listing it minus that send time: loopback TCP, looplive's packaging and the
HTTP answer. Parts listed in the first answer (there before the client
looked) are left out.

    part_listing.py [--seconds 60] [--chunk-size 4096]

Starts build/release's looplive with its own PostgreSQL cluster (bench/latency's
helpers) and the publisher, and stops them.
"""
import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "latency"))

from held_reloads import connect, get, pct, shut_down, wait_playable  # noqa: E402

PUBLISH = Path(__file__).resolve().parent.parent.parent / "build" / "release" / "tools" / "rtmp_publish"

PDT = re.compile(r"#EXT-X-PROGRAM-DATE-TIME:(\S+)")
PART = re.compile(r'#EXT-X-PART:DURATION=([\d.]+),URI="[a-z0-9]+_(\d+)_p(\d+)\.m4s"')
EXTINF = re.compile(r"#EXTINF:([\d.]+),")
HINT = re.compile(r'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="[a-z0-9]+_(\d+)_p(\d+)\.m4s"')
SAMPLE = {"video": 1 / 30, "audio": 1024 / 48000}


def parse_date(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def parts_listed(text):
    """(segment, part) -> (segment's program date time, media end offset in the segment)."""
    found = {}
    date = None
    offset = 0.0
    for line in text.splitlines():
        m = PDT.match(line)
        if m:
            date, offset = parse_date(m.group(1)), 0.0
            continue
        m = PART.match(line)
        if m and date is not None:
            offset += float(m.group(1))
            found[(int(m.group(2)), int(m.group(3)))] = (date, offset)
    return found


async def follow(port, stream, name, seconds, origin_date, start, out):
    """Follows one rendition's playlist part by part; appends listing delays to out."""
    conn = await connect(port, 0 if name == "video" else 1)
    target = f"/live/{stream}/{name}.m3u8"
    for _ in range(100):  # the audio playlist can come a few frames after the video one
        status, body = await get(*conn, target)
        if status == 200:
            break
        await asyncio.sleep(0.02)
    else:
        sys.exit(f"{target}: {status}")
    seen = set(parts_listed(body.decode()))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        hint = HINT.search(body.decode())
        if not hint:
            sys.exit(f"{target}: no preload hint")
        status, body = await get(*conn, f"{target}?_HLS_msn={hint.group(1)}&_HLS_part={hint.group(2)}")
        arrived = time.time()
        if status != 200:
            sys.exit(f"{target}: blocking reload answered {status}")
        for key, (date, offset) in parts_listed(body.decode()).items():
            if key in seen:
                continue
            seen.add(key)
            last_sample = date - origin_date + offset - SAMPLE[name]
            out.append((arrived - (start + last_sample)) * 1000)
    conn[1].close()


def make_show(path, seconds):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=960x540:rate=30",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds),
                    "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "60",
                    "-keyint_min", "60", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "128k", "-f", "flv", str(path)], check=True)
    # The first video segment starts with the first video frame, which comes
    # this long after the file's first tag (AAC's priming shifts audio earlier).
    first = subprocess.run(["ffprobe", "-v", "error", "-read_intervals", "%+#6", "-show_entries",
                            "packet=codec_type,dts_time", "-of", "csv=p=0", str(path)],
                           check=True, capture_output=True, text=True).stdout.split()
    times = [(kind, float(t)) for kind, t in (line.split(",") for line in first)]
    video = [t for kind, t in times if kind == "video"]
    if not video:
        sys.exit(f"no video at the start of the show: {first}")
    return video[0] - min(t for _, t in times)


class Publisher:
    """tools/rtmp_publish sending the show in real time; start is when timestamp 0 was due."""

    def __init__(self, url, show, log_path, chunk_size):
        self.start = None
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([str(PUBLISH), "--realtime", "--print-start", "--chunk-size",
                                      str(chunk_size), url, str(show)],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        for line in self.proc.stdout:
            if line.startswith("start unix="):
                self.start = float(line.split("=", 1)[1])
                break
        if self.start is None:
            sys.exit(f"rtmp_publish did not start; see {log_path}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


async def measure(port, stream, seconds, start):
    # The first video segment's date is the show's first frame, frame 0: the
    # playlist is read when it lists its first segment.
    status, body = await get(*await connect(port, 2), f"/live/{stream}/video.m3u8")
    first = PDT.search(body.decode())
    if status != 200 or len(EXTINF.findall(body.decode())) != 1 or not first:
        sys.exit("the first video playlist does not start at the show's first segment")
    origin = parse_date(first.group(1))
    delays = {"video": [], "audio": []}
    await asyncio.gather(*(follow(port, stream, name, seconds, origin, start,
                                  delays[name]) for name in delays))
    return delays


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long to follow (default 60)")
    parser.add_argument("--chunk-size", type=int, default=4096,
                        help="RTMP chunk size the publisher sends: 4096 as OBS (default), "
                             "128 as librtmp's default")
    args = parser.parse_args()

    import latency_bench as lb  # looplive, its database and the publisher
    work = Path(tempfile.mkdtemp(prefix="looplive-parts-"))
    work.chmod(0o755)  # PostgreSQL runs as its own user below it
    server = lb.Looplive(work, None)
    publisher = None
    try:
        video_zero = make_show(work / "show.flv", args.seconds + 20)
        server.start()
        stream = server.new_stream()
        publisher = Publisher(stream["rtmp"], work / "show.flv", work / "publisher.log",
                              args.chunk_size)
        url = f"http://127.0.0.1:{server.origin_port}/live/{stream['id']}/video.m3u8"
        wait_playable(url)
        delays = asyncio.run(measure(server.origin_port, stream["id"], args.seconds,
                                     publisher.start + video_zero))
    finally:
        shut_down(server, publisher, work)

    print("| rendition | parts | listed after the last sample was sent: min | p50 | p95 | p99 | max |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, values in delays.items():
        if not values:
            sys.exit(f"no {name} part was seen being listed")
        print(f"| {name} | {len(values)} | {min(values):.0f} ms | {pct(values, 50):.0f} ms | "
              f"{pct(values, 95):.0f} ms | {pct(values, 99):.0f} ms | {max(values):.0f} ms |")


if __name__ == "__main__":
    main()
