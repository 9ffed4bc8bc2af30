"""csi's gettext message catalogs (see README.md)."""
