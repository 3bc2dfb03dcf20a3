-- Fleet: the rate of syscall 39 per commit, over the runs of branch main,
-- newest commit first (syscalls as in 08-syscalls.sql).
SELECT commit, count() AS runs, sum(calls) AS syscalls,
       round(sum(calls) / sum(seconds), 2) AS per_second
FROM (
  SELECT run_id, count() AS calls FROM events
  WHERE reason = 1 AND rax = 39
    AND rip = -2116026368  -- 0xffffffff81e00000 as Int64
    AND (run_id, event_id) IN (SELECT run_id, event_id FROM mem_access WHERE bitAnd(flags, 4) != 0)
  GROUP BY run_id)
ANY INNER JOIN (
  SELECT run_id, duration_ns / 1e9 AS seconds, start_wall_ns,
         extract(labels, 'commit=([^;]*)') AS commit
  FROM runs WHERE run_id IN (SELECT run_id FROM run_labels WHERE key = 'branch' AND value = 'main')
) USING (run_id)
GROUP BY commit
ORDER BY max(start_wall_ns) DESC;
