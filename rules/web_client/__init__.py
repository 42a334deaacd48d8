"""RUM-CLIENT: the web client's own configuration (snippet, constructor, JSON config file)."""
