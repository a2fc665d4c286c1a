"""Tỉnh Sơn Lâm, the fictional example province (YAML data files)."""
