-- What each run lost (gaps) and the share of its time the trace covers.
SELECT run_id, gaps, lost_records,
       round(100.0 * (1 - least(gap_ns, duration_ns) / greatest(duration_ns, 1)), 3) AS coverage_pct
FROM (SELECT run_id, duration_ns FROM runs)
ANY LEFT JOIN (
  SELECT run_id, count() AS gaps, sum(ifNull(count, 0)) AS lost_records,
         sum(greatest(0, ifNull(last_ns, 0) - ifNull(first_ns, 0))) AS gap_ns
  FROM gaps GROUP BY run_id) USING (run_id)
ORDER BY run_id;
