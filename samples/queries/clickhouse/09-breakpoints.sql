-- Where do breakpoints and debug exceptions hit, in which address space?
SELECT run_id, any(reason_name) AS reason_name,
       concat('0x', lower(hex(toUInt64(rip)))) AS rip_hex,
       concat('0x', lower(hex(toUInt64(cr3)))) AS cr3_hex, count() AS hits
FROM events
WHERE run_id IN (SELECT run_id FROM runs) AND reason IN (6, 9)
GROUP BY run_id, reason, rip, cr3
ORDER BY run_id, hits DESC;
