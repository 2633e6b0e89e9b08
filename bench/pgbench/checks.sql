-- The checks before routing of one consultation, as the hub sends them: a person's
-- integrations by NISS (prepared: run with -M prepared). :k picks one of the persons numbered
-- in bench_persons (see docs/scaling.md for the set-up).
\set k random(1, :persons)
SELECT id, niss, institution_id, quality_code, starts_on, ends_on, unregistered_at
  FROM integrations WHERE niss = (SELECT niss FROM bench_persons WHERE k = :k) ORDER BY id;
