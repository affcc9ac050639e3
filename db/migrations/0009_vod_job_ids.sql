-- Every id a VOD job ever had. A job's files were public under /vods/{id}/,
-- cached for origin.vod_max_age_s (a day), and CDNs may keep them after the job is removed:
-- an id given to another job would serve its files under names they cached
-- with other bytes. Rows are never deleted.
CREATE TABLE vod_job_ids (
  id          uuid PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO vod_job_ids (id, created_at) SELECT id, created_at FROM vod_jobs;
