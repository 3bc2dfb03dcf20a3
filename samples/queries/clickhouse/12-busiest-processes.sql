-- The busiest address spaces (CR3 residencies) of each run.
SELECT run_id, process_id, concat('0x', lower(hex(toUInt64(cr3)))) AS cr3_hex, epoch,
       round((last_ns - first_ns) / 1e9, 3) AS seconds, events
FROM processes
WHERE run_id IN (SELECT run_id FROM runs)
ORDER BY run_id, events DESC
LIMIT 20;
