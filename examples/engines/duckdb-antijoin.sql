-- Drop the records of excluded members with DuckDB: an anti-join against the ids that
-- `consentry exclusions --as-of T --minors-in-window > excluded.txt` prints, one per line (its
-- first line is a header no id matches). --minors-in-window also lists every member who was under
-- the minimum age in the policy's window: the join cannot see when a record was made.
-- Run: duckdb -c "SET VARIABLE posts = 'posts.jsonl'; SET VARIABLE excluded = 'excluded.txt';" -f duckdb-antijoin.sql
-- Caveat: an anti-join keeps records whose member the store does not know. To fail closed,
-- keep only members the snapshot lists as eligible (duckdb-snapshot-join.sql).
CREATE TABLE excluded AS
    SELECT member_id FROM read_csv(getvariable('excluded'), header = false, columns = {'member_id': 'VARCHAR'});
CREATE VIEW kept AS
    SELECT p.* FROM read_ndjson(getvariable('posts')) p
    ANTI JOIN excluded e ON CAST(p.member_id AS VARCHAR) = e.member_id;
COPY kept TO 'kept.jsonl' (FORMAT JSON);
