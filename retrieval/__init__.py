"""Retrieval: the Chroma index kept in sync with the catalogue, a lexical ranker, fusion and recommend()."""
