"""The audit log: who did what, when, to which object, from where; append-only and hash-chained."""

from eams.auth.audit.chain import AuditEntry, ChainReport, append, prune, verify

__all__ = ["AuditEntry", "ChainReport", "append", "prune", "verify"]
