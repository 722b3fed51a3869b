"""What an operator watches: health checks, the scheduler's heartbeat, job runs, metrics."""
