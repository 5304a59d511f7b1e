"""Forms of the employers app, one module per area."""
