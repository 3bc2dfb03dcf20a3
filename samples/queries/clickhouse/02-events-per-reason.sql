-- Events per reason and run, with the rate per second.
SELECT run_id, reason_name, events,
       round(events / (duration_ns / 1e9), 2) AS per_second
FROM (SELECT run_id, reason, any(reason_name) AS reason_name, count() AS events
      FROM events GROUP BY run_id, reason)
ANY INNER JOIN (SELECT run_id, duration_ns FROM runs) USING (run_id)
ORDER BY run_id, events DESC;
