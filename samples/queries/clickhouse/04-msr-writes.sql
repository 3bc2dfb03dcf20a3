-- Which MSRs does the guest write, how often, and with how many different
-- values?  (0xc0000082 is LSTAR: a write there outside boot is suspicious.)
SELECT run_id, concat('0x', lower(hex(toUInt64(msr)))) AS msr_hex, count() AS writes,
       uniqExact(new_value) AS distinct_values,
       concat('0x', lower(hex(toUInt64(min(new_value))))) AS a_value
FROM mov_to_msr
WHERE run_id IN (SELECT run_id FROM runs)
GROUP BY run_id, msr
ORDER BY run_id, writes DESC;
