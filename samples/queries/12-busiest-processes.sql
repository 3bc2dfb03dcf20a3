-- Which address spaces (processes) were most active, and for how long?
SELECT run_id, process_id, printf('0x%x', cr3) AS cr3, epoch,
       round((last_ns - first_ns) / 1e9, 3) AS seconds, events
FROM processes
ORDER BY run_id, events DESC
LIMIT 20;
