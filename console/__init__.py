"""The operator and staff console: accounts, the live board, call records, callbacks, follow-ups and the log.

`console.accounts` is Flask-free (users, passwords, login throttling); the other modules are the web
adapter (blueprints, forms, templates) around `call_log` and `directory`, wired by `console.web.init_app`.
"""
