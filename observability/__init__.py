"""What every process shares to be observed: structured logging (and, later, metrics helpers)."""
