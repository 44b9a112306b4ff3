"""Django-free science core: plain arrays and DataFrames in, result objects out.

Nothing in this package may import Django; it is usable from any Python shell or CLI.
"""
