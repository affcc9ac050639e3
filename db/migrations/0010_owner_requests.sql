-- What an API call asks of the process holding a stream when it lands on
-- another process sharing the database (behind a load balancer): the holder
-- polls its own rows (streams_owner_idx) and acts. end_requested: the reason
-- to end the stream with, kept until it has ended. kick_asked_of: the holder
-- whose publisher a forced key rotation disconnects; cleared once taken, and
-- ignored by any later holder, whose publisher came with the new key.
ALTER TABLE streams
  ADD COLUMN end_requested text,
  ADD COLUMN kick_asked_of text;
