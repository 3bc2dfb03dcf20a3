-- How many events of each reason did each run see, and at what rate?
SELECT e.run_id, e.reason_name, count(*) AS events,
       round(count(*) / (r.duration_ns / 1e9), 2) AS per_second
FROM events e JOIN runs r USING (run_id)
GROUP BY e.run_id, e.reason
ORDER BY e.run_id, events DESC;
