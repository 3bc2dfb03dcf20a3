-- Where do software breakpoints and debug exceptions hit, by RIP and by
-- process?
SELECT e.run_id, e.reason_name, printf('0x%016x', e.rip) AS rip,
       printf('0x%x', e.cr3) AS cr3, count(*) AS hits
FROM events e
WHERE e.reason IN (6, 9)
GROUP BY e.run_id, e.reason, e.rip, e.cr3
ORDER BY e.run_id, hits DESC;
