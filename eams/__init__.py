"""eams: monitoring and the e-Government architecture inventory (EAMS) of a provincial data center."""

__version__ = "0.1.0"
