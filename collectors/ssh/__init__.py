"""SSH collection with netmiko: configuration backups, facts for review, Linux server metrics.

Start with README.md in this folder; `collector.SshCollector` is the entry point.
"""
