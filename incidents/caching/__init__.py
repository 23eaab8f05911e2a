"""What the site keeps in its cache, and how it stays correct: everything cached is keyed on the catalogue
generation, which every change to the catalogue bumps (docs/performance.md).

- `generation`: the catalogue generation, `cached()` (get-or-compute per generation) and the signals that bump it;
- `pages`: `PageCacheMiddleware`, whole pages for anonymous readers;
- `lists`: the pieces of a list page kept per generation (page ids and count, case cards, facet counts);
- `backend`: the Redis cache backend the settings select.

This package imports nothing: the settings load `backend` before the apps are ready.
"""
