-- Streams, their keys (stored only as SHA-256 hashes) and every status transition.
CREATE TABLE streams (
  id          uuid PRIMARY KEY,
  status      text NOT NULL DEFAULT 'ready'
              CHECK (status IN ('ready', 'live', 'reconnecting', 'ended')),
  record      boolean NOT NULL DEFAULT false,
  metadata    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  started_at  timestamptz,
  ended_at    timestamptz
);
CREATE INDEX streams_status_idx ON streams (status, created_at);

CREATE TABLE stream_keys (
  key_hash    text PRIMARY KEY CHECK (length(key_hash) = 64),
  stream_id   uuid NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
  key_prefix  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
CREATE INDEX stream_keys_stream_idx ON stream_keys (stream_id);

CREATE TABLE stream_events (
  id          bigserial PRIMARY KEY,
  stream_id   uuid NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
  from_status text,
  to_status   text NOT NULL,
  reason      text NOT NULL DEFAULT '',
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stream_events_stream_idx ON stream_events (stream_id, at);
