-- How long did paused vCPUs wait for the recorder's answer, per run?
SELECT run_id, count() AS responses,
       round(avg(latency_ns) / 1e3, 1) AS avg_us,
       round(max(latency_ns) / 1e3, 1) AS max_us,
       round(100.0 * sum(latency_ns) / any(span), 4) AS pct_of_vcpu_time
FROM responses
ANY INNER JOIN (SELECT run_id, duration_ns * vcpus AS span FROM runs) USING (run_id)
WHERE bitAnd(flags, 1) != 0 AND latency_ns IS NOT NULL
GROUP BY run_id
ORDER BY run_id;
