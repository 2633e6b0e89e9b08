"""Declarations: what an institution sends to an authentic source through the hub (the CPAS
as a data provider), its types declared as data (``types.toml``)."""
