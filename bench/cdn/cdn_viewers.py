#!/usr/bin/env python3
"""LL-HLS or low-latency DASH viewers behind Varnish: how many requests reach looplive.

Starts build/release's looplive with its own PostgreSQL cluster and an
ffmpeg publisher (bench/latency's helpers), and Debian's varnishd in front of
it with docs/cdn/varnish.vcl as it is (only the backend port changed;
looplive lists 127.0.0.1 in origin.trusted_proxies, as docs/cdn.md says to
list a CDN's addresses). varnishncsa logs every request Varnish sends to the
origin.

N viewers (one asyncio process, each with its own keep-alive connection to
Varnish per rendition) play as a low-latency player does.

--protocol hls (the default): as an LL-HLS player: the multivariant
playlist, then per rendition (video and audio) the media playlist, its init
section, and round after round a blocking reload for the preload-hinted part
(_HLS_msn/_HLS_part, in the order hls.js writes them) followed by that part.

--protocol dash: as dash.js 5 in low-latency mode against the live MPD
(/live/{id}/manifest.mpd, SegmentTimeline with $Time$ names, the segment being
written listed with availabilityTimeComplete="false"): the MPD and the clock
(its UTCTiming URL: three times on joining, as dash.js confirms its first
sync, then after 30 s and 60 s more) on one connection, where the MPD is
fetched again minimumUpdatePeriod after each load but at most once a second
(dash.js's getManifestUpdatePeriod; it asks for no MPD sooner when the next
segment is not listed yet, and waits for the next one instead); then per
AdaptationSet (video and audio), on a connection each, the init segment and,
starting from the segment at the MPD's target latency behind the live edge,
each next segment as soon as the newest MPD lists it, the growing one read
chunk by chunk to its end. Viewers send Accept-Encoding: gzip, as browsers do.

Reported: what the viewers asked of Varnish and what reached the origin, per
kind; the most origin requests for any one URL; and how many URLs reached the
origin more than once. A blocking reload's URL names one playlist version (the
one with that part), so one origin request per such URL is one per version.
The MPD is one URL with many versions: its origin answers are counted per
version (publishTime, read by a viewer that got the answer with the same
ETag; the ETag itself, "v" and the live view's version, changes with every
part, the MPD only when a segment starts or ends), next to how many versions
the viewers saw. For DASH also how many segments each viewer got against how
many the show made while it watched (a client too slow for its viewers falls
behind), how long the viewers took to join, and looplive's own count of the
requests it answered (/metrics), which varnishncsa's log should match.

    cdn_viewers.py [--protocol hls|dash] [--viewers 1000] [--seconds 60]
"""
import argparse
import asyncio
import collections
import gzip
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "bench" / "latency"))
sys.path.insert(0, str(ROOT / "bench" / "llhls"))

from held_reloads import shut_down, wait_playable  # noqa: E402

HINT = re.compile(r'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([a-z0-9]+)_(\d+)_p(\d+)\.m4s"')
MAP = re.compile(r'#EXT-X-MAP:URI="([^"]+)"')
MPD = "{urn:mpeg:dash:schema:mpd:2011}"
# dash.js streaming.utcSynchronization: a sync, confirmed by backgroundAttempts
# more at once the first time, then one after timeBetweenSyncAttempts, doubled
# after each sync that found the same offset (one machine's clock: always).
CLOCK_SYNC_S = 30
CLOCK_CONFIRMATIONS = 2
MPD_RETRY_S = 0.5  # dash.js streaming.retryIntervals.MPD
# What varnishncsa writes per origin request: URL, status, the answer's ETag
# and Content-Length ("-": chunked, a segment sent while it grows).
ORIGIN_LOG_FORMAT = "%U%q %s %{ETag}o %{Content-Length}o"

Answer = collections.namedtuple("Answer", "status headers body")


async def connect(port, index):
    """A connection to Varnish from a loopback address of the viewer's own."""
    local = f"127.{1 + index // 60000}.{(index // 250) % 240 + 1}.{index % 250 + 1}"
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(local, 0))


async def read_chunked(reader, keep):
    """A chunked body (kept or dropped), read chunk by chunk as Varnish sends it."""
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers come
            return bytes(body)
        chunk = await reader.readexactly(size + 2)
        if keep:
            body += chunk[:-2]


async def drain(reader, length):
    """Reads a body of `length` bytes as it comes, keeping none of it."""
    while length > 0:
        got = len(await reader.read(min(length, 1 << 20)))
        if not got:
            raise asyncio.IncompleteReadError(b"", length)
        length -= got
    return b""


async def read_answer(reader, keep=True):
    """An HTTP/1.1 answer; with keep False its body is read and dropped (media)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as closed:
        if closed.partial:
            raise
        raise ConnectionResetError("the connection was closed before an answer") from closed
    status = int(head[9:12])
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await read_chunked(reader, keep)
    elif keep:
        length = int(headers.get("content-length", 0))
        body = await reader.readexactly(length) if length else b""
    else:
        body = await drain(reader, int(headers.get("content-length", 0)))
    if headers.get("content-encoding") == "gzip" and body:
        body = gzip.decompress(body)
    return Answer(status, headers, body)


async def fetch(reader, writer, target, accept_gzip=False, keep=True):
    encoding = "Accept-Encoding: gzip\r\n" if accept_gzip else ""
    writer.write(f"GET {target} HTTP/1.1\r\nHost: origin\r\n{encoding}\r\n".encode())
    await writer.drain()
    return await read_answer(reader, keep)


async def get(reader, writer, target):
    answer = await fetch(reader, writer, target)
    return answer.status, answer.body


def kind(url):
    path, _, query = url.partition("?")
    if path.endswith(".m3u8"):
        return "playlist, blocking reload" if "_HLS_msn" in query else "playlist"
    if path.endswith(".mp4"):
        return "init section"
    if re.search(r"_p\d+\.m4s$", path):
        return "part"
    return "other"


def dash_kind(url):
    path = url.partition("?")[0]
    if path.endswith(".mpd"):
        return "manifest"
    if path.endswith(".mp4"):
        return "init section"
    if path.endswith(".m4s"):
        return "segment"
    if path == "/time":
        return "clock (UTCTiming)"
    return "other"


KINDS = {"hls": (kind, ["playlist", "playlist, blocking reload", "init section", "part", "other"]),
         "dash": (dash_kind, ["manifest", "init section", "segment", "clock (UTCTiming)", "other"])}


class Tally:
    def __init__(self, kind_of=kind):
        self.kind_of = kind_of
        self.asked = collections.Counter()
        self.failed = collections.Counter()

    def note(self, url, status):
        self.asked[self.kind_of(url)] += 1
        if status != 200:
            self.failed[f"{self.kind_of(url)} {status}"] += 1


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


def iso_ms(text):
    """Unix milliseconds of an MPD date-time (2026-12-05T10:00:00.123Z)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def iso_duration_s(text):
    """Seconds of an MPD duration as looplive writes them (PT0.333S, PT12S)."""
    found = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?", text)
    hours, minutes, seconds = (float(g or 0) for g in found.groups())
    return hours * 3600 + minutes * 60 + seconds


class Manifest:
    """What a player takes from one MPD: per content type (video, audio) the
    init segment's URL and every listed segment as (start, URL), oldest first,
    from the last Period and the first Representation of each AdaptationSet."""

    def __init__(self, text, base):
        root = ET.fromstring(text)
        self.publish_time = root.get("publishTime")
        self.update_period_s = iso_duration_s(root.get("minimumUpdatePeriod", "PT1S"))
        self.start_ms = iso_ms(root.get("availabilityStartTime"))
        latency = root.find(f"{MPD}ServiceDescription/{MPD}Latency")
        self.target_latency_ms = int(latency.get("target")) if latency is not None else 0
        self.tracks = {}
        period = root.findall(f"{MPD}Period")[-1]
        for adaptation in period.findall(f"{MPD}AdaptationSet"):
            representation = adaptation.find(f"{MPD}Representation")
            template = adaptation.find(f"{MPD}SegmentTemplate")
            if template is None:
                template = representation.find(f"{MPD}SegmentTemplate")
            named = template.get("media").replace("$RepresentationID$", representation.get("id"))
            segments = [(start, f"{base}/" + named.replace("$Time$", str(start)))
                        for start in timeline(template.find(f"{MPD}SegmentTimeline"))]
            init = template.get("initialization").replace("$RepresentationID$", representation.get("id"))
            self.tracks[adaptation.get("contentType")] = (f"{base}/{init}", segments)

    def first_segment(self, content):
        """The segment holding the target latency behind the live edge, where dash.js starts."""
        segments = self.tracks[content][1]
        live_ms = time.time() * 1000 - self.start_ms - self.target_latency_ms
        earlier = [s for s in segments if s[0] <= live_ms]
        return earlier[-1] if earlier else segments[0]

    def segment_after(self, content, start):
        return next((s for s in self.tracks[content][1] if s[0] > start), None)


def timeline(element):
    """Every segment's start in a SegmentTimeline (its S elements' t, d and r)."""
    starts, at = [], 0
    for s in element.findall(f"{MPD}S"):
        at = int(s.get("t", at))
        for _ in range(int(s.get("r", 0)) + 1):
            starts.append(at)
            at += int(s.get("d"))
    return starts


def view_version(etag):
    """The live view's version in looplive's ETag of a live MPD ("v48", "v48-gz", W/"v48-gz")."""
    found = re.search(r'"v(\d+)', etag)
    return int(found.group(1)) if found else None


class DashSeen:
    """What the DASH viewers got, beyond the request counts: the MPD versions,
    and per viewer and content type the segments fetched and the newest
    segment its last MPD listed."""

    def __init__(self):
        self.publish_times = set()
        self.published = {}  # the origin's ETag number of an MPD answer: its publishTime
        self.listed = collections.defaultdict(set)  # content type: segment starts in any MPD
        self.newest_at_start = {}  # content type: the newest segment in the first MPD
        self.segments = collections.defaultdict(list)  # content type: segments per viewer
        self.behind = collections.defaultdict(list)  # content type: listed after the last fetched, per viewer
        self.growing = collections.Counter()  # content type: segments that came chunked
        self.started = []  # per viewer: seconds from the first join to its first segment request
        self.never_started = 0  # viewers that had no MPD before the end
        self.reopened = 0  # connections found closed and opened again
        self.watch_began = time.monotonic()

    def note_mpd(self, answer, manifest):
        self.publish_times.add(manifest.publish_time)
        version = view_version(answer.headers.get("etag", ""))
        if version is not None:
            self.published[version] = manifest.publish_time
        for content, (_, segments) in manifest.tracks.items():
            self.listed[content].update(start for start, _ in segments)
            self.newest_at_start.setdefault(content, segments[-1][0])

    def made(self, content):
        """Segments the show began while the viewers watched (the one growing as they came included)."""
        return sum(1 for start in self.listed[content] if start >= self.newest_at_start[content])


class Connection:
    """A DASH viewer's keep-alive connection to Varnish. As a browser does, it
    opens a new one and asks again when the old one turns out to be closed
    before an answer began (Varnish closes a connection idle for timeout_idle,
    5 s)."""

    def __init__(self, port, index, seen):
        self.port, self.index, self.seen = port, index, seen
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await connect(self.port, self.index)
        return self

    async def fetch(self, target, keep=True):
        try:
            return await fetch(self.reader, self.writer, target, accept_gzip=True, keep=keep)
        except ConnectionError:
            self.seen.reopened += 1
            self.writer.close()
            await self.open()
            return await fetch(self.reader, self.writer, target, accept_gzip=True, keep=keep)

    def close(self):
        self.writer.close()


class DashPlayer:
    """One DASH viewer's MPD, kept fresh as dash.js does; its tracks wait on `updated`."""

    def __init__(self, conn, url, tally, seen):
        self.conn, self.url, self.tally, self.seen = conn, url, tally, seen
        self.manifest = None
        self.loaded = 0.0
        self.updated = asyncio.Event()
        self.clock_synced = 0.0
        self.sync_every = CLOCK_SYNC_S

    async def load(self):
        answer = await self.conn.fetch(self.url)
        self.tally.note(self.url, answer.status)
        if answer.status != 200:
            return
        self.manifest = Manifest(answer.body.decode(), self.url.rsplit("/", 1)[0])
        self.seen.note_mpd(answer, self.manifest)
        self.loaded = time.monotonic()
        updated, self.updated = self.updated, asyncio.Event()
        updated.set()

    async def sync_clock(self, times=1):
        for _ in range(times):
            answer = await self.conn.fetch("/time")
            self.tally.note("/time", answer.status)
        self.clock_synced = time.monotonic()

    async def keep_fresh(self, deadline):
        """Loads the MPD again minimumUpdatePeriod after it came (dash.js:
        at least 1 s after), and syncs the clock when that is due."""
        await self.sync_clock(CLOCK_CONFIRMATIONS)
        while True:
            wait = max(self.manifest.update_period_s - (time.monotonic() - self.loaded), 1)
            if time.monotonic() + wait >= deadline:
                break
            await asyncio.sleep(wait)
            await self.load()
            if time.monotonic() - self.clock_synced >= self.sync_every:
                await self.sync_clock()
                self.sync_every *= 2
        self.updated.set()  # the tracks stop waiting too

    async def next_update(self, deadline):
        try:
            await asyncio.wait_for(self.updated.wait(), max(0.01, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            pass


async def dash_track(port, index, player, content, deadline, tally, seen):
    conn = await Connection(port, index, seen).open()
    init = None
    segment = player.manifest.first_segment(content)
    last_start, fetched = -1, 0
    if content == "video":
        seen.started.append(time.monotonic() - seen.watch_began)
    while time.monotonic() < deadline:
        if segment is None:
            await player.next_update(deadline)
            segment = player.manifest.segment_after(content, last_start)
            continue
        if player.manifest.tracks[content][0] != init:
            init = player.manifest.tracks[content][0]
            answer = await conn.fetch(init, keep=False)
            tally.note(init, answer.status)
        answer = await conn.fetch(segment[1], keep=False)
        tally.note(segment[1], answer.status)
        fetched += 1
        seen.growing[content] += answer.headers.get("transfer-encoding") == "chunked"
        last_start = segment[0]
        segment = player.manifest.segment_after(content, last_start)
    conn.close()
    seen.segments[content].append(fetched)
    seen.behind[content].append(sum(1 for start, _ in player.manifest.tracks[content][1] if start > last_start))


async def dash_viewer(port, index, base, deadline, tally, seen):
    conn = await Connection(port, 3 * index, seen).open()
    player = DashPlayer(conn, f"{base}/manifest.mpd", tally, seen)
    await player.load()
    while player.manifest is None and time.monotonic() < deadline:
        await asyncio.sleep(MPD_RETRY_S)
        await player.load()
    if player.manifest is None:
        seen.never_started += 1
        conn.close()
        return
    await player.sync_clock()
    await asyncio.gather(player.keep_fresh(deadline),
                         *(dash_track(port, 3 * index + 1 + i, player, content, deadline, tally, seen)
                           for i, content in enumerate(sorted(player.manifest.tracks, reverse=True))))
    conn.close()


async def watch(port, base, viewers, seconds, tally):
    deadline = time.monotonic() + seconds
    tasks = []
    for i in range(viewers):  # joining over the first second, as an audience does
        tasks.append(asyncio.create_task(viewer(port, i, base, deadline, tally)))
        await asyncio.sleep(1 / viewers)
    await asyncio.gather(*tasks)


async def watch_dash(port, base, viewers, seconds, tally, seen):
    """As watch, with DASH viewers, each joining at its time in the first second
    by the clock: a sleep of 1/viewers each, on an event loop busy with a
    thousand viewers' segments, took far longer, and the last ones joined
    more than ten seconds late."""
    seen.watch_began = time.monotonic()
    deadline = seen.watch_began + seconds
    tasks = []
    for i in range(viewers):
        tasks.append(asyncio.create_task(dash_viewer(port, i, base, deadline, tally, seen)))
        await asyncio.sleep(max(0, seen.watch_began + (i + 1) / viewers - time.monotonic()))
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
    ncsa = subprocess.Popen(["varnishncsa", "-n", str(work / "varnish"), "-b", "-F", ORIGIN_LOG_FORMAT,
                             "-w", str(work / "origin.log")], start_new_session=True)
    lb.children.append(ncsa)
    return port, ncsa


def origin_table(origin, kind_of, kinds, tally):
    """The per-kind table of what the viewers asked and what reached looplive."""
    by_kind = collections.Counter()
    urls = collections.Counter()
    worst = collections.Counter()
    repeated = collections.Counter()
    for url, count in collections.Counter(url for url, _, _, _ in origin).items():
        k = kind_of(url)
        by_kind[k] += count
        urls[k] += 1
        worst[k] = max(worst[k], count)
        repeated[k] += count > 1
    print("| kind | asked of Varnish | reached looplive | URLs | most for one URL | URLs asked more than once |")
    print("| --- | --- | --- | --- | --- | --- |")
    for k in kinds:
        if tally.asked[k] or by_kind[k]:
            print(f"| {k} | {tally.asked[k]} | {by_kind[k]} | {urls[k]} | {worst[k]} | {repeated[k]} |")


def spread(values):
    return f"median {statistics.median(values):g}, min {min(values)}, max {max(values)}" if values else "none"


def requests_answered(api_port):
    """looplive's own count of the requests it answered, by route (its /metrics)."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{api_port}/metrics", timeout=10).read().decode()
    counts = collections.Counter()
    for route, value in re.findall(r'^looplive_origin_requests_total\{route="(\w+)",code="\dxx"\} (\d+)$', text, re.M):
        counts[route] += int(value)
    return counts


def dash_report(origin, seen):
    """The MPD's versions at the origin, and how well the viewers kept up."""
    views = [view_version(etag) for url, status, etag, _ in origin if url.endswith(".mpd") and status == "200"]
    per_version = collections.Counter(seen.published[view] for view in views if view in seen.published)
    print(f"\nMPD: {len(views)} answers from looplive, for {len(per_version)} versions (publishTime, "
          f"known from a viewer's answer with the same ETag; {len(views) - sum(per_version.values())} "
          f"answers no viewer got); at most {max(per_version.values(), default=0)} for one version, "
          f"{sum(1 for count in per_version.values() if count > 1)} versions more than once; "
          f"the viewers saw {len(seen.publish_times)} versions in all. Its ETags, the live view's version "
          f"(a new one with every part), went from v{min(views, default=0)} to v{max(views, default=0)}")
    growing = collections.Counter()  # looplive's segment answers sent chunked, by file prefix (v_, a_)
    for url, status, _, length in origin:
        if url.endswith(".m4s"):
            growing[url.rsplit("/", 1)[1][0]] += length == "-"
    for content in sorted(seen.segments, reverse=True):
        print(f"{content}: the show made {seen.made(content)} segments while the viewers watched; "
              f"segments per viewer: {spread(seen.segments[content])}; segments listed after a viewer's "
              f"last one when it stopped: {spread(seen.behind[content])}; segment answers that came "
              f"chunked (growing): {seen.growing[content]} of the viewers', {growing[content[0]]} of looplive's")
    print(f"viewers' first segment request, seconds after the first joined: {spread(sorted(round(t, 1) for t in seen.started))}"
          + (f"; {seen.never_started} viewers had no MPD before the end" if seen.never_started else "")
          + f"; connections found closed by Varnish and opened again: {seen.reopened}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=["hls", "dash"], default="hls")
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
    kind_of, kinds = KINDS[args.protocol]
    tally = Tally(kind_of)
    seen = DashSeen() if args.protocol == "dash" else None
    try:
        server.start()
        stream = server.new_stream()
        publisher = lb.Publisher(stream["rtmp"], work / "publisher.log")
        port, ncsa = start_varnish(work, server.origin_port)
        base = f"/live/{stream['id']}"
        wait_playable(f"http://127.0.0.1:{server.origin_port}{base}/video.m3u8")
        if seen:
            answered = requests_answered(server.api_port)
            asyncio.run(watch_dash(port, base, args.viewers, args.seconds, tally, seen))
        else:
            asyncio.run(watch(port, base, args.viewers, args.seconds, tally))
        time.sleep(1)  # varnishncsa writes what it has seen
        lb.stop_process(ncsa, signal.SIGTERM, 5)
        if seen:
            answered = requests_answered(server.api_port) - answered
        origin = [line.split(" ", 3) for line in (work / "origin.log").read_text().splitlines() if line]
    finally:
        shut_down(server, publisher, work)

    print(f"{args.viewers} viewers for {args.seconds} s, video and audio each\n")
    origin_table(origin, kind_of, kinds, tally)
    if seen:
        dash_report(origin, seen)
    if tally.failed:
        print(f"\nanswers other than 200: {dict(tally.failed)}")
    if seen:
        failed = collections.Counter(f"{dash_kind(url)} {status}" for url, status, _, _ in origin if status != "200")
        print(f"answers other than 200 from looplive: {dict(failed) or 'none'}")
        print(f"requests looplive counted itself meanwhile (/metrics): "
              f"{', '.join(f'{route} {count}' for route, count in sorted(answered.items())) or 'none'}")


if __name__ == "__main__":
    main()
