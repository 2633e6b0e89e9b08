"""The exchange: checked consultations routed to authentic sources."""
