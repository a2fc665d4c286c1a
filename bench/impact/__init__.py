"""Impact analysis at province scale: 100,000 devices and 10,000 systems, through the HTTP API."""
