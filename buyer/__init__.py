"""Member authorities' pages: the arrangements they belong to and the providers admitted to them."""
