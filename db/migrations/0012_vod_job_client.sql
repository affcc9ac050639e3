-- Who queued each VOD job: an opaque name of the API token it was posted
-- with (a digest prefix, never the token), so one client's jobs can be
-- capped (vod.max_queued_per_client) and cannot fill the queue for the rest.
-- NULL for jobs queued before this column, which count for no client.
ALTER TABLE vod_jobs ADD COLUMN client text CHECK (length(client) <= 64);
CREATE INDEX vod_jobs_client_queue_idx ON vod_jobs (client) WHERE state = 'queued';
