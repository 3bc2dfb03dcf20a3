-- Which guest pages fault, and for what access (r, w, x)?
SELECT run_id, concat('0x', lower(hex(toUInt64(gfn)))) AS gfn_hex,
       concat(if(bitAnd(flags, 1) != 0, 'r', '-'), if(bitAnd(flags, 2) != 0, 'w', '-'),
              if(bitAnd(flags, 4) != 0, 'x', '-')) AS access,
       count() AS faults
FROM mem_access
WHERE run_id IN (SELECT run_id FROM runs)
GROUP BY run_id, gfn, access
ORDER BY run_id, faults DESC
LIMIT 50;
