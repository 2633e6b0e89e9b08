"""Mediprima: the medical aid decisions of the CPAS (ManageCarmed), registered with Mediprima
through the hub, and the care providers' check of coverage."""
