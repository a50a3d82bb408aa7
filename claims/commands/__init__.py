"""One module per `claims` command; each `register(sub)` adds its parser and sets its function.

claims/cli.py calls them in order. A command module imports claims.context, claims.errors and
what its command runs, never another command module.
"""
