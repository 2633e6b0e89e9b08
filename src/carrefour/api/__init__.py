"""The REST/JSON entry points of the hub (thin: parse, call one service, map the result)."""
