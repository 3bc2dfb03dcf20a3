-- Did the recording miss anything?  Gaps per run, and the share of the run
-- not covered by a gap with known time bounds.
SELECT r.run_id, count(g.gap_id) AS gaps, coalesce(sum(g.count), 0) AS lost_records,
       round(100.0 * (1 - coalesce(sum(max(0, coalesce(g.last_ns, r.duration_ns)
                                          - coalesce(g.first_ns, 0))), 0)
                      / max(r.duration_ns, 1)), 3) AS coverage_pct
FROM runs r LEFT JOIN gaps g ON g.run_id = r.run_id
     AND (g.first_ns IS NOT NULL OR g.last_ns IS NOT NULL OR g.count IS NOT NULL)
GROUP BY r.run_id;
