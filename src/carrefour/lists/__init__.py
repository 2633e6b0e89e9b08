"""Lists: batch files per recipient (the persons of a CPAS's municipality with a status of the
buffer in a period...), produced on demand or on a schedule, delivered to a mailbox."""
