"""The composition root: entry points (api, cli, worker processes) build the runtime here; nothing lower imports it."""
