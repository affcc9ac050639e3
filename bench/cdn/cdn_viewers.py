#!/usr/bin/env python3
"""LL-HLS viewers behind Varnish: how many requests reach looplive.

Starts build/release's looplive with its own PostgreSQL cluster and an
ffmpeg publisher (bench/latency's helpers), and Debian's varnishd in front of
it with docs/cdn/varnish.vcl as it is (only the backend port changed;
looplive lists 127.0.0.1 in origin.trusted_proxies, as docs/cdn.md says to
list a CDN's addresses). varnishncsa logs every request Varnish sends to the
origin.

N viewers (one asyncio process, each with its own keep-alive connection to
Varnish per rendition) play as an LL-HLS player does: the multivariant
playlist, then per rendition (video and audio) the media playlist, its init
section, and round after round a blocking reload for the preload-hinted part
(_HLS_msn/_HLS_part, in the order hls.js writes them) followed by that part.

Reported: what the viewers asked of Varnish and what reached the origin, per
kind; the most origin requests for any one URL; and how many URLs reached the
origin more than once. A blocking reload's URL names one playlist version (the
one with that part), so one origin request per such URL is one per version.

    cdn_viewers.py [--viewers 1000] [--seconds 60]
"""
import argparse
import asyncio
import collections
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "bench" / "latency"))
sys.path.insert(0, str(ROOT / "bench" / "llhls"))

from held_reloads import connect, get, shut_down, wait_playable  # noqa: E402

HINT = re.compile(r'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([a-z0-9]+)_(\d+)_p(\d+)\.m4s"')
MAP = re.compile(r'#EXT-X-MAP:URI="([^"]+)"')


def kind(url):
    path, _, query = url.partition("?")
    if path.endswith(".m3u8"):
        return "playlist, blocking reload" if "_HLS_msn" in query else "playlist"
    if path.endswith(".mp4"):
        return "init section"
    if re.search(r"_p\d+\.m4s$", path):
        return "part"
    return "other"


class Tally:
    def __init__(self):
        self.asked = collections.Counter()
        self.failed = collections.Counter()

    def note(self, url, status):
        self.asked[kind(url)] += 1
        if status != 200:
            self.failed[f"{kind(url)} {status}"] += 1


async def rendition(port, index, base, name, deadline, tally):
    conn = await connect(port, index)
    target = f"{base}/{name}.m3u8"
    status, body = await get(*conn, target)
    tally.note(target, status)
    text = body.decode()
    init = MAP.search(text)
    if init:
        status, _ = await get(*conn, f"{base}/{init.group(1)}")
        tally.note(f"{base}/{init.group(1)}", status)
    while time.monotonic() < deadline:
        hint = HINT.search(text)
        if not hint:
            await asyncio.sleep(0.1)
            status, body = await get(*conn, target)
            tally.note(target, status)
            text = body.decode()
            continue
        prefix, msn, part = hint.groups()
        reload = f"{target}?_HLS_msn={msn}&_HLS_part={part}"
        status, body = await get(*conn, reload)
        tally.note(reload, status)
        text = body.decode()
        part_url = f"{base}/{prefix}_{msn}_p{part}.m4s"
        status, _ = await get(*conn, part_url)
        tally.note(part_url, status)
    conn[1].close()


async def viewer(port, index, base, deadline, tally):
    conn = await connect(port, 3 * index)
    status, _ = await get(*conn, f"{base}/index.m3u8")
    tally.note(f"{base}/index.m3u8", status)
    conn[1].close()
    await asyncio.gather(rendition(port, 3 * index + 1, base, "video", deadline, tally),
                         rendition(port, 3 * index + 2, base, "audio", deadline, tally))


async def watch(port, base, viewers, seconds, tally):
    deadline = time.monotonic() + seconds
    tasks = []
    for i in range(viewers):  # joining over the first second, as an audience does
        tasks.append(asyncio.create_task(viewer(port, i, base, deadline, tally)))
        await asyncio.sleep(1 / viewers)
    await asyncio.gather(*tasks)


def start_varnish(work, origin_port):
    vcl = (ROOT / "docs" / "cdn" / "varnish.vcl").read_text()
    backend = '.port = "8080"'
    if backend not in vcl:
        sys.exit("docs/cdn/varnish.vcl has no backend port to point at the origin")
    (work / "looplive.vcl").write_text(vcl.replace(backend, f'.port = "{origin_port}"'))
    import latency_bench as lb
    port = lb.free_port()
    log = open(work / "varnishd.log", "w")
    varnishd = subprocess.Popen(["varnishd", "-F", "-j", "none", "-n", str(work / "varnish"),
                                 "-a", f"127.0.0.1:{port}", "-f", str(work / "looplive.vcl"),
                                 "-s", "malloc,256m", "-p", "thread_pool_min=200"],
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    lb.children.append(varnishd)
    lb.wait_port(port)
    ncsa = subprocess.Popen(["varnishncsa", "-n", str(work / "varnish"), "-b", "-F", "%U%q %s",
                             "-w", str(work / "origin.log")], start_new_session=True)
    lb.children.append(ncsa)
    return port, ncsa


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    import latency_bench as lb
    work = Path(tempfile.mkdtemp(prefix="looplive-cdn-"))
    work.chmod(0o755)  # PostgreSQL runs as its own user below it
    server = lb.Looplive(work, None)
    config = server.config.read_text()
    if "  trusted_proxies: []\n" not in config:
        sys.exit("conf/looplive.yaml has no empty origin.trusted_proxies to fill")
    server.config.write_text(config.replace("  trusted_proxies: []\n", "  trusted_proxies: [127.0.0.1]\n"))
    publisher = None
    tally = Tally()
    try:
        server.start()
        stream = server.new_stream()
        publisher = lb.Publisher(stream["rtmp"], work / "publisher.log")
        port, ncsa = start_varnish(work, server.origin_port)
        base = f"/live/{stream['id']}"
        wait_playable(f"http://127.0.0.1:{server.origin_port}{base}/video.m3u8")
        asyncio.run(watch(port, base, args.viewers, args.seconds, tally))
        time.sleep(1)  # varnishncsa writes what it has seen
        lb.stop_process(ncsa, signal.SIGTERM, 5)
        origin = collections.Counter(line.rsplit(" ", 1)[0]
                                     for line in (work / "origin.log").read_text().splitlines() if line)
    finally:
        shut_down(server, publisher, work)

    by_kind = collections.Counter()
    urls = collections.Counter()
    worst = collections.Counter()
    repeated = collections.Counter()
    for url, count in origin.items():
        k = kind(url)
        by_kind[k] += count
        urls[k] += 1
        worst[k] = max(worst[k], count)
        repeated[k] += count > 1
    print(f"{args.viewers} viewers for {args.seconds} s, video and audio each\n")
    print("| kind | asked of Varnish | reached looplive | URLs | most for one URL | URLs asked more than once |")
    print("| --- | --- | --- | --- | --- | --- |")
    for k in ["playlist", "playlist, blocking reload", "init section", "part", "other"]:
        if tally.asked[k] or by_kind[k]:
            print(f"| {k} | {tally.asked[k]} | {by_kind[k]} | {urls[k]} | {worst[k]} | {repeated[k]} |")
    if tally.failed:
        print(f"\nanswers other than 200: {dict(tally.failed)}")


if __name__ == "__main__":
    main()
