-- Uploaded product videos packaged for playback (POST /v1/vod/jobs): the
-- source, where the job stands, and what it found and made. A running job is
-- held by one process under a lease it renews, like a live stream (0003), so
-- a job whose process died runs again elsewhere or after the restart.
CREATE TABLE vod_jobs (
  id                 uuid PRIMARY KEY,
  source             text NOT NULL CHECK (length(source) BETWEEN 1 AND 2048),
  state              text NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'ready', 'failed')),
  percent            smallint NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
  rungs              text,              -- "720p@2800k 480p@1200k"; NULL: the configured ladder
  poster_at_seconds  double precision CHECK (poster_at_seconds >= 0),  -- NULL: 10 % in
  metadata           jsonb NOT NULL DEFAULT '{}'::jsonb,
  error              text,              -- why it failed
  probe              jsonb,             -- what the source holds
  outputs            jsonb,             -- renditions and figures, once ready
  attempts           integer NOT NULL DEFAULT 0,
  owner              text,
  owner_until        timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  started_at         timestamptz,
  finished_at        timestamptz
);
-- The queue, oldest first.
CREATE INDEX vod_jobs_queue_idx ON vod_jobs (created_at) WHERE state = 'queued';
