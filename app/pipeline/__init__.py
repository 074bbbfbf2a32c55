"""The pipeline steps the workers run: one transaction each, through the unit of work."""
