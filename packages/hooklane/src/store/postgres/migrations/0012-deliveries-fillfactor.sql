-- A delivery is written three times: inserted, leased (hooklane_claim_due_locked) and settled
-- (hooklane_record_attempts). On full pages each update put the new row version on another
-- page, which also logs a row lock before it moves (measured with
-- packages/bench/probes/postgres-statements.ts). With room left on each page the new version
-- stays beside the old one, and the page's next update prunes the dead versions in place.
ALTER TABLE deliveries SET (fillfactor = 50);
