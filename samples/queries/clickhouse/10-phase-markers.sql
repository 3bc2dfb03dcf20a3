-- The phase markers of each run: guest requests with rbx = 0x564d54 (per
-- vCPU) and the recorder's markers (every vCPU), in time order.
SELECT run_id, source, vcpu, phase, at_s FROM (
  SELECT run_id, 'guest' AS source, toString(vcpu) AS vcpu,
         toString(rax) AS phase, ts_ns / 1e9 AS at_s
  FROM events WHERE reason = 8 AND rbx = 5655892
  UNION ALL
  SELECT run_id, 'recorder' AS source, '' AS vcpu, text AS phase, ts_ns / 1e9 AS at_s
  FROM markers)
WHERE run_id IN (SELECT run_id FROM runs)
ORDER BY run_id, at_s;
