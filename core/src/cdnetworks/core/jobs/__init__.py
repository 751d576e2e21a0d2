"""Jobs at the API's scale: many targets through a batched action, within every limit.

`facts` holds the per-action batch limits (spec facts); `quota` the quota ledger protocol
and its in-process default; `limits` the choice of rate limiter; `journal` the SQLite record
that makes a job resumable; `runner` the sans-I/O job the product clients drive (sync and
async from the same code); `follow` the cheap following of tasks; `report` what a job returns.
Submodules are imported on first use: importing an action must not load ``sqlite3``.
"""
