"""The `claims` command line: worker, run, topics, migrate, status, employer, import,
make-import-file, readjudicate and dead-letters. Tools around the worker: may import streams,
services and the simulator; nothing in streams/ or services/ imports them."""
