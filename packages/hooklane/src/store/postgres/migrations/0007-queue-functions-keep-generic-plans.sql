-- The queue functions' statements run on generic plans, planned once per session. PL/pgSQL
-- caches each statement's plan, but the plan cache replans with the call's values until a
-- generic plan looks no dearer than the custom ones, and the settings that pin these plans
-- (0003, 0004) add their huge cost to both, so some statements never got there: measured with
-- pg_stat_statements (track = all, track_planning) at 1,000 single-event ingests/s against one
-- process, the failing-streak reset in hooklane_record_attempts was planned on all of its
-- 3,531 calls (204 ms planning, 20 ms running), the deliveries update on 1,097 (238 ms
-- planning), the claim's probe on 222. The plans are pinned to the same index scans either way.
ALTER FUNCTION hooklane_claim_due(BIGINT, BIGINT, INTEGER, INTEGER)
  SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION hooklane_claim_due_locked(BIGINT, BIGINT, INTEGER, INTEGER)
  SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION hooklane_record_attempts(
  TEXT[], TEXT[], TEXT[], TEXT[], INTEGER[], BIGINT[], INTEGER[], TEXT[], TEXT[], INTEGER[], TEXT[], TEXT[],
  TEXT[], BIGINT[], TEXT[], BIGINT[], BIGINT[], TEXT[]
) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION hooklane_record_and_claim(
  TEXT[], TEXT[], TEXT[], TEXT[], INTEGER[], BIGINT[], INTEGER[], TEXT[], TEXT[], INTEGER[], TEXT[], TEXT[],
  TEXT[], BIGINT[], TEXT[], BIGINT[], BIGINT[], TEXT[], BIGINT, BIGINT, INTEGER, INTEGER
) SET plan_cache_mode = force_generic_plan;
