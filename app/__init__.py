"""The application layer: the operator use cases (one function each), the pipeline steps, and the one unit of work
(a transaction plus the follow-up messages it produced, sent only after commit) that both share."""
