-- A stream's own adaptive ladder, over the server's default: NULL (the
-- default), 'off', 'auto' (rungs derived from the source) or its rungs,
-- comma-separated ('480p@1200k,360p@600k').
ALTER TABLE streams ADD COLUMN ladder text;
