-- An ended stream is held by nobody. Ending used to leave its owner set, so
-- streams_owner_idx (owner IS NOT NULL) grew with every show a process had
-- ever run, and each lease renewal walked them all.
UPDATE streams SET owner = NULL, owner_until = NULL WHERE status = 'ended' AND owner IS NOT NULL;
