"""Project package and the catalogue app."""
