-- How long did paused vCPUs wait for the recorder, per reason?  The sum
-- over the run's vCPU time is the recorder's perturbation.
SELECT e.run_id, e.reason_name, count(*) AS responses,
       round(avg(r.latency_ns) / 1e3, 1) AS avg_us,
       round(max(r.latency_ns) / 1e3, 1) AS max_us,
       round(100.0 * sum(r.latency_ns) / (ru.duration_ns * ru.vcpus), 4) AS pct_of_vcpu_time
FROM responses r
JOIN events e ON e.event_id = r.event_id
JOIN runs ru ON ru.run_id = e.run_id
WHERE r.flags & 1
GROUP BY e.run_id, e.reason
ORDER BY e.run_id, avg_us DESC;
