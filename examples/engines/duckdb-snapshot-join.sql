-- Keep only the records of members a `consentry snapshot` lists as eligible, created on or
-- after the date they may be used from (their minimum-age birthday): fails closed for members
-- the store does not know. The snapshot is tab-separated; lines starting with # are comments.
-- Run: duckdb -c "SET VARIABLE posts = 'posts.jsonl'; SET VARIABLE snapshot = 'snapshot.tsv';" -f duckdb-snapshot-join.sql
CREATE TABLE decisions AS
    SELECT * FROM read_csv(getvariable('snapshot'), delim = E'\t', header = true, comment = '#', auto_detect = false,
                           columns = {'member': 'VARCHAR', 'eligible': 'BOOLEAN', 'reason': 'VARCHAR', 'usable_from': 'DATE'});
CREATE VIEW kept AS
    SELECT p.* FROM read_ndjson(getvariable('posts')) p
    SEMI JOIN decisions d ON CAST(p.member_id AS VARCHAR) = d.member AND d.eligible
        AND (d.usable_from IS NULL OR CAST(p.created_at AS TIMESTAMP) >= d.usable_from);
COPY kept TO 'kept.jsonl' (FORMAT JSON);
