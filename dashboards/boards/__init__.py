"""One module per dashboard; each has `build() -> Dashboard` and a stable `UID`."""
