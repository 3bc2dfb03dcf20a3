-- Fleet: every run in which the guest wrote MSR 0xc0000081 (STAR), with its
-- host and labels.  mov_to_msr is ordered by msr inside each run, so this
-- reads a small range of each run.
SELECT uuid, host, start_wall, labels, writes
FROM (SELECT run_id, count() AS writes FROM mov_to_msr
      WHERE msr = 3221225601 GROUP BY run_id)
ANY INNER JOIN (SELECT run_id, uuid, host, start_wall, labels FROM runs) USING (run_id)
ORDER BY start_wall;
