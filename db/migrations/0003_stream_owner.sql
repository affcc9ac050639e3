-- Which looplive process holds a live or reconnecting stream, for how long
-- (a lease it renews while it runs), so processes sharing the database (a
-- deploy overlap, a second node) leave each other's streams alone.
ALTER TABLE streams
  ADD COLUMN owner       text,
  ADD COLUMN owner_until timestamptz;

CREATE INDEX streams_owner_idx ON streams (owner) WHERE owner IS NOT NULL;
