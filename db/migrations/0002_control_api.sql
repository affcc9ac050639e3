-- What ending a stream produced, kept so that ending it again answers the same.
-- finalized_at is set, together with status 'ended', once the recording is final.
ALTER TABLE streams
  ADD COLUMN duration_seconds      double precision,
  ADD COLUMN peak_viewers          bigint,
  ADD COLUMN unique_viewers        bigint,
  ADD COLUMN average_watch_seconds double precision,
  ADD COLUMN vod_path              text,
  ADD COLUMN finalized_at          timestamptz;

-- Keyset pagination of the stream list, newest first, with or without a status filter.
CREATE INDEX streams_created_idx ON streams (created_at DESC, id DESC);
DROP INDEX streams_status_idx;
CREATE INDEX streams_status_created_idx ON streams (status, created_at DESC, id DESC);

-- The webhook outbox: one row per event and receiver, written in the same
-- transaction as the change it announces, deleted never (it is the delivery log).
-- No foreign key to streams: deliveries outlive a deleted stream.
CREATE TABLE webhook_deliveries (
  id              bigserial PRIMARY KEY,
  event_id        uuid NOT NULL,
  event_type      text NOT NULL,
  stream_id       uuid,
  url             text NOT NULL,
  body            text NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  failed_at       timestamptz,
  last_status     integer,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, url)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
  WHERE delivered_at IS NULL AND failed_at IS NULL;
