"""Several `eams serve` instances on one PostgreSQL database: who leads which bus partition."""
