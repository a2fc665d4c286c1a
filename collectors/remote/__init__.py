"""Remote collectors: `eams collect` polls a site's devices and reports to the service."""
