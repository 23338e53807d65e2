"""The consortium administrator's pages: setting up the DPS, windows, the provider register,
users, the audit trail and the outbox."""
