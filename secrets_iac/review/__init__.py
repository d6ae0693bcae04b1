"""Review of a change before it deploys: the access diff between two plan outputs (and, later, verify)."""
