-- Events per vCPU and reason.
SELECT run_id, vcpu, any(reason_name) AS reason_name, count() AS events
FROM events
WHERE run_id IN (SELECT run_id FROM runs)
GROUP BY run_id, vcpu, reason
ORDER BY run_id, vcpu, events DESC;
