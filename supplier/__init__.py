"""Providers' pages: entry windows, applications and their evidence, and the provider's team."""
