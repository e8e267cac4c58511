"""Qt item models: thin adapters over plain Python state."""
