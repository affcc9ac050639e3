-- A product tag posted to (or deleted through) a process that does not
-- package the stream (behind a load balancer), waiting for the one that does.
-- The holder takes the requests on the streams it holds (taken_at), acts on
-- each as if it had been sent to it and stores its answer (the HTTP status
-- and JSON body the caller gets); the asker, reading the row, answers its
-- caller and deletes it, or withdraws a request not taken in time. Rows
-- nobody came back for are deleted after a minute.
CREATE TABLE tag_requests (
  id             bigserial PRIMARY KEY,
  stream_id      uuid NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
  body           jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'),
  taken_at       timestamptz,
  answer_status  integer,
  answer_body    text,
  answered_at    timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tag_requests_open_idx ON tag_requests (stream_id) WHERE taken_at IS NULL;
