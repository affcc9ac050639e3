-- Product tags placed on a stream's media timeline: what the player shows
-- (a product's card) and when, in media time and as program date time.
CREATE TABLE stream_tags (
  id             bigserial PRIMARY KEY,
  stream_id      uuid NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
  product_id     text NOT NULL CHECK (length(product_id) BETWEEN 1 AND 128),
  action         text NOT NULL CHECK (action IN ('show', 'hide', 'update')),
  payload        jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(payload) = 'object'),
  x              double precision CHECK (x BETWEEN 0 AND 1),
  y              double precision CHECK (y BETWEEN 0 AND 1),
  duration_ms    bigint CHECK (duration_ms > 0),
  media_time_ms  bigint NOT NULL CHECK (media_time_ms >= 0),
  wall_clock_ms  bigint NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
-- The timeline, in the order the API pages it.
CREATE INDEX stream_tags_timeline_idx ON stream_tags (stream_id, media_time_ms, id);
