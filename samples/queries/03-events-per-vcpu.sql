-- Is the load spread evenly over the vCPUs?  Events per vCPU and reason.
SELECT run_id, vcpu, reason_name, count(*) AS events
FROM events
GROUP BY run_id, vcpu, reason
ORDER BY run_id, vcpu, events DESC;
