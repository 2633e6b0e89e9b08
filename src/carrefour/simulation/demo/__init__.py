"""The demonstration: the whole simulated network started on SQLite, its printed guide
and the demo CPAS's application."""
