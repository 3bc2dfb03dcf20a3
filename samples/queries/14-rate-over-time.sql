-- Event rate per second of the run, per reason: where does a run speed up
-- or stall?
SELECT run_id, ts_ns / 1000000000 AS second, reason_name, count(*) AS events
FROM events
GROUP BY run_id, second, reason
ORDER BY run_id, second, events DESC;
