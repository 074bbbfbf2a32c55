"""Notifications: Jinja2 templates, sandboxed rendering, email building and senders (SMTP, outbox, webhooks)."""
