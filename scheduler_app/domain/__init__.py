"""Business rules and workflows. Functions take models, an ``actor`` and ``now``; they flush, never
commit, and never read the request, the session, the current user or the clock."""
