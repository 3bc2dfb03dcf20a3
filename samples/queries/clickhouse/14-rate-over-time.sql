-- Events per second of the run, per reason.
SELECT run_id, intDiv(ts_ns, 1000000000) AS second, any(reason_name) AS reason_name,
       count() AS events
FROM events
WHERE run_id IN (SELECT run_id FROM runs)
GROUP BY run_id, second, reason
ORDER BY run_id, second, events DESC;
