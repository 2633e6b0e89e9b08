"""Research extracts: a researcher's project gets pseudonymised rows, tables with small cells
suppressed, or differentially private tables spending its privacy budget (docs/research.md)."""
