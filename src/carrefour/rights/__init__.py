"""Derived rights as data: rules over the harmonised statuses, granted automatically to the
institutions that grant them, and evaluated without granting anything (what-if)."""
