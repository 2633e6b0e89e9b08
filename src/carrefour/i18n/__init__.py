"""Languages of the hub: French, Dutch and German catalogues (Babel ``.po`` files under
``locales/``, read when first needed), the choice of a language from ``Accept-Language``, and
problem documents in the caller's language. English is the source language."""
