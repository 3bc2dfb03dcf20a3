-- Which MSRs does the guest write, how often, and with how many different
-- values?  (0xc0000082 is LSTAR: a write there outside boot is suspicious.)
SELECT run_id, printf('0x%x', msr) AS msr, count(*) AS writes,
       count(DISTINCT new_value) AS distinct_values,
       printf('0x%x', min(new_value)) AS a_value
FROM mov_to_msr
GROUP BY run_id, msr
ORDER BY run_id, writes DESC;
