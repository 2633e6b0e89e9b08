"""What the hub's operators watch: Prometheus metrics, structured logs, OpenTelemetry traces."""
