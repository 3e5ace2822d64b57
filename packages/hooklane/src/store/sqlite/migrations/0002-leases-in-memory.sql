-- Claims (leases) on the embedded store now live in the owning process's memory
-- (store/sqlite/leases.ts): no lease is written, and the index that counted them goes.
-- The column stays (always 0) so that older files need no table rebuild.
UPDATE deliveries SET lease_until = 0 WHERE lease_until > 0;
DROP INDEX IF EXISTS deliveries_leased;
