-- Why a stream's recording failed (its files did not all reach the disk: a
-- full or failing disk); NULL when it did not. The recording, if any, ends
-- at the last segment stored.
ALTER TABLE streams ADD COLUMN recording_error text;
