"""The EAMS model and its storage: organisation, facilities, devices, credentials, change log."""
