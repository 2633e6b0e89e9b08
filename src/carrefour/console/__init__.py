"""The console: server-rendered pages in the hub (Jinja2, htmx) for the hub's operators, the
data protection officers of institutions and citizens, in French, Dutch and German."""
