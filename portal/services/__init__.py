"""Domain services: the rules of the portal, each in the module named for its concept."""
