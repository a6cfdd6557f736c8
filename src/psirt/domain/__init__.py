"""Pure model and rules: no SQL, no I/O."""
