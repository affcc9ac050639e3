"""A VOD packaging job's wall time, beside ffmpeg alone making the same outputs.

An upload is made first: a 1080p30 H.264 MP4 (8 Mbit/s, B-frames, AAC), the
length of --seconds. Then, one after the other on the same machine:

  looplive   POST /v1/vod/jobs with the file in the import folder, polled until
             ready: probe, poster, 1080p@5000k + 720p@2800k (libx264 veryfast,
             keyframes every 2 s on both rungs), AAC 128k, CMAF HLS + DASH, an
             MP4 of the top rung. Timed from the POST to the answer saying ready.
  ffmpeg     the same outputs from the same file: a poster, then one command
             that decodes once, scales to both rungs with the same encoder
             settings and writes DASH with HLS playlists (dashenc's
             hls_playlist), then a faststart MP4 of the top rung remuxed from
             its segments. Timed from start to end (the commands are printed).

Both runs also report the CPU time they took (user + system, in core-seconds).
Run through bench/vod/run, which installs what is missing and builds Release.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "latency"))
sys.path.insert(0, str(HERE.parent))
import latency_bench as lb  # noqa: E402  looplive, its database, process handling
from rtmp_bench import cpu_seconds  # noqa: E402

TOKEN = "vod-bench-token-0123456789"
RUNGS = [(1920, 1080, 5000), (1280, 720, 2800)]  # width, height, kbit/s
GOP_SECONDS = 2


def make_upload(path, size, seconds):
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
         "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
         "-bf", "2", "-g", "60", "-b:v", "8000k", "-maxrate", "8000k", "-bufsize", "16000k",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-ac", "2",
         "-movflags", "+faststart", str(path)], check=True)


def api(server, method, path, body=None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.api_port}{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"null")


def vod_config(text, import_dir):
    out, section = [], None
    for line in text.splitlines():
        if line and not line.startswith(" ") and not line.startswith("#"):
            section = line.split(":")[0]
        if section == "vod" and line.startswith("  import_dir:"):
            line = f"  import_dir: {import_dir}"
        out.append(line)
    return "\n".join(out) + "\n"


def looplive_run(work, upload):
    server = lb.Looplive(work, None)
    server.config.write_text(vod_config(server.config.read_text(), upload.parent))
    server.env["LOOPLIVE_API_TOKENS"] = TOKEN
    try:
        server.start()
        lb.wait_port(server.api_port)
        before = cpu_seconds(server.proc.pid)
        started = time.monotonic()
        job = api(server, "POST", "/v1/vod/jobs", {"source": upload.name})
        while job["state"] not in ("ready", "failed"):
            time.sleep(0.05)
            job = api(server, "GET", f"/v1/vod/jobs/{job['id']}")
        elapsed = time.monotonic() - started
        cpu = cpu_seconds(server.proc.pid) - before
        if job["state"] != "ready":
            sys.exit(f"the job failed: {job['error']}")
        return elapsed, cpu, job
    finally:
        server.close()


def timed(cmd, log):
    """Wall and CPU seconds (children's user + system) of one command."""
    before = os.times()
    started = time.monotonic()
    subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return time.monotonic() - started, cpu


def ffmpeg_commands(upload, out, duration):
    poster = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-ss",
              f"{duration / 10:.3f}", "-i", str(upload), "-frames:v", "1", "-vf",
              "scale=1280:-2", "-q:v", "3", str(out / "poster.jpg")]
    graph = f"[0:v]split={len(RUNGS)}" + "".join(f"[s{i}]" for i in range(len(RUNGS))) + ";"
    graph += ";".join(f"[s{i}]scale={w}:{h}:flags=bicubic[v{i}]" for i, (w, h, _) in enumerate(RUNGS))
    ladder = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(upload),
              "-filter_complex", graph]
    for i, (_, _, kbits) in enumerate(RUNGS):
        ladder += ["-map", f"[v{i}]", f"-c:v:{i}", "libx264", f"-b:v:{i}", f"{kbits}k",
                   f"-maxrate:v:{i}", f"{kbits}k", f"-bufsize:v:{i}", f"{2 * kbits}k"]
    ladder += ["-preset", "veryfast", "-bf", "0", "-x264-params", "scenecut=0:open-gop=0",
               "-force_key_frames", f"expr:gte(t,n_forced*{GOP_SECONDS})", "-g", "100000",
               "-map", "0:a", "-c:a", "aac", "-b:a", "128k",
               "-f", "dash", "-seg_duration", str(GOP_SECONDS), "-use_template", "1",
               "-use_timeline", "1", "-hls_playlist", "1", "-adaptation_sets",
               "id=0,streams=v id=1,streams=a", str(out / "manifest.mpd")]
    # The top rung's MP4, from its segments, as looplive remuxes its own.
    mp4 = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i",
           str(out / "media_0.m3u8"), "-i", str(out / "media_2.m3u8"), "-map", "0:v", "-map",
           "1:a", "-c", "copy", "-movflags", "+faststart", str(out / "download.mp4")]
    return [poster, ladder, mp4]


def ffmpeg_run(work, upload, duration):
    out = work / "ffmpeg"
    out.mkdir(parents=True)
    cmds = ffmpeg_commands(upload, out, duration)
    wall = cpu = 0.0
    with open(work / "ffmpeg.log", "w") as log:
        for cmd in cmds:
            w, c = timed(cmd, log)
            wall += w
            cpu += c
    return wall, cpu, cmds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60, help="length of the upload")
    parser.add_argument("--size", default="1920x1080", help="the upload's picture size")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="looplive-vod-bench-"))
    work.chmod(0o755)  # PostgreSQL runs as its own user below it
    upload_dir = work / "import"
    upload_dir.mkdir()
    upload = upload_dir / "upload.mp4"
    make_upload(upload, args.size, args.seconds)
    try:
        ours, our_cpu, job = looplive_run(work / "looplive", upload)
        theirs, their_cpu, cmds = ffmpeg_run(work, upload, args.seconds)
    finally:
        for proc in lb.children:
            lb.stop_process(proc)
        if not args.keep:
            subprocess.run(["rm", "-rf", str(work)])
    rungs = ", ".join(f"{r['height']}p {r['bitRate'] / 1e6:.2f} Mbit/s" for r in job["outputs"]["renditions"])
    print(f"Upload: {args.size} 30 fps H.264 8 Mbit/s with B-frames + AAC, {args.seconds} s "
          f"(MP4). Rungs made: {rungs} (bitrates as measured by looplive).\n")
    print("| measure | looplive job | ffmpeg | looplive / ffmpeg |")
    print("| --- | --- | --- | --- |")
    print(f"| wall time, upload to ready | {ours:.1f} s | {theirs:.1f} s | {ours / theirs:.2f} |")
    print(f"| CPU time | {our_cpu:.1f} core-s | {their_cpu:.1f} core-s | {our_cpu / their_cpu:.2f} |")
    print(f"| speed | {args.seconds / ours:.2f}x real time | {args.seconds / theirs:.2f}x real time | |")
    print("\nffmpeg:\n" + "\n".join(" ".join(cmd) for cmd in cmds))


if __name__ == "__main__":
    main()
