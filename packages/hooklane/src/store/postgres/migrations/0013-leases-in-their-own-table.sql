-- Which deliveries may be leased, apart from the deliveries themselves. The claim counts each
-- webhook's requests in flight from the leased rows; it found them through deliveries_leased,
-- whose predicate reads lease_until, so every lease wrote a new entry in each of the table's
-- indexes (a lease could never be a HOT update). Now a lease adds a row here and a result
-- removes it; the count still checks each delivery's own lease_until and status, so a row left
-- behind (by a lease that expired, or a release) counts nothing. No index reads lease_until.
CREATE TABLE delivery_leases (
  delivery_id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL
);
INSERT INTO delivery_leases (delivery_id, webhook_id)
  SELECT id, webhook_id FROM deliveries WHERE lease_until > 0 AND status = 'pending';
DROP INDEX deliveries_leased;
